'use strict';
// DashMap keeps a shard's keys as 64-bit words while they all pack (numbers,
// booleans, ASCII strings of up to 7 units none of them \0, other strings of
// up to 6 units all below 256: native/addon/key.hpp) and
// turns the shard's table into 16-byte keys at the first key that does not.
// These cases put keys on both sides of every packing boundary into one map,
// in both orders, and check each comes back as itself, as a Map would keep it.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap } = require('./helpers');

const { DashMap } = threadmap;

// Keys that pack, one of each shape at the edges.
const packing = [
  0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 31),
  true, false,
  '', 'a', 'ab', 'abcdef', 'abcdefg', '1234567', 'user:42', '\x7f\x7f\x7f\x7f\x7f\x7f\x7f',
  '\0', 'a\0b', '\0\0\0\0\0\0', '\u00ff\u00ff\u00ff', '\u00e9t\u00e9', '\u0080', '123456', '1',
];
// Keys that do not: longer strings, UTF-16 strings, bigints, bytes.
const wide = [
  'abcdefgh', '12345678', '\0\0\0\0\0\0\0', 'abcdef\0', '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9',
  '\u0100', 'caf\u00e9\u2603', '\ud800', 0n, 1n, -(2n ** 70n),
  Buffer.from('ab'), new Uint8Array([1, 2, 3]),
];

// What a Map holding the same keys answers (bytes keys compare by content in
// threadmap, by identity in a Map, so they are looked up through the same
// object here and compared by content).
function expectSame(map, entries) {
  assert.equal(map.size, entries.length);
  for (const [k, v] of entries) {
    assert.equal(map.get(k), v, `get(${String(k)})`);
    assert.equal(map.has(k), true);
  }
  const seen = new Map();
  for (const [k, v] of map) seen.set(ArrayBuffer.isView(k) ? `bytes:${Buffer.from(k).toString('hex')}` : k, v);
  for (const [k, v] of entries) {
    const want = ArrayBuffer.isView(k) ? `bytes:${Buffer.from(k).toString('hex')}` : Object.is(k, -0) ? 0 : k;
    assert.ok(seen.has(want), `iteration gives back ${String(k)} as itself`);
    assert.equal(seen.get(want), v);
  }
}

describe('DashMap key packing', () => {
  for (const shards of [1, 32]) {
    test(`packed keys, then keys that do not pack, then clear (${shards} shards)`, () => {
      const m = new DashMap({ shards });
      const entries = [];
      packing.forEach((k, i) => {
        if (Object.is(k, -0)) return;  // the same key as 0 (SameValueZero)
        m.set(k, i);
        entries.push([k, i]);
      });
      assert.equal(m.get(-0), m.get(0));
      expectSame(m, entries);
      // Lookups of keys that cannot be in a packed table.
      for (const k of wide) assert.equal(m.has(k), false);

      wide.forEach((k, i) => {
        m.set(k, 1000 + i);
        entries.push([k, 1000 + i]);
      });
      expectSame(m, entries);

      // Deleting every wide key leaves the tables wide; the packed keys stay right.
      for (const k of wide) assert.equal(m.delete(k), true);
      expectSame(m, entries.slice(0, entries.length - wide.length));

      m.clear();
      assert.equal(m.size, 0);
      m.set('abc', 1);
      m.set(3, 2);
      expectSame(m, [['abc', 1], [3, 2]]);
    });

    test(`keys that do not pack first, then packed ones (${shards} shards)`, () => {
      const m = new DashMap({ shards });
      const entries = [];
      wide.forEach((k, i) => { m.set(k, i); entries.push([k, i]); });
      packing.forEach((k, i) => {
        if (Object.is(k, -0)) return;
        m.set(k, 100 + i);
        entries.push([k, 100 + i]);
      });
      expectSame(m, entries);
    });
  }

  test('numbers and the strings that spell them stay different keys through widening', () => {
    const m = new DashMap({ shards: 1 });
    for (let i = 0; i < 2000; i++) {
      m.set(i, 'n');
      m.set(String(i), 's');
    }
    m.set(true, 'b');
    m.set('true', 's');
    m.set('x'.repeat(40), 'long');  // widens the only shard after 4,002 packed keys
    assert.equal(m.size, 4003);
    for (let i = 0; i < 2000; i++) {
      assert.equal(m.get(i), 'n');
      assert.equal(m.get(String(i)), 's');
    }
    assert.equal(m.get(true), 'b');
    assert.equal(m.get('true'), 's');
    let numbers = 0;
    for (const k of m.keys()) if (typeof k === 'number') numbers++;
    assert.equal(numbers, 2000);
  });

  test('packed tables are smaller: one key that does not pack grows the only shard by half', () => {
    const m = new DashMap({ shards: 1 });
    for (let i = 0; i < 5000; i++) m.set('k' + i, i);  // short ASCII: packs
    const packed = m.nativeBytes();
    m.set('a key that does not pack', 0);  // widens the table: 16-byte slots become 24-byte ones
    const wide = m.nativeBytes();
    assert.ok(wide > packed * 1.3, `packed ${packed} B, then wide ${wide} B`);
    assert.equal(m.get('k4999'), 4999);
  });

  test('atomic operations and retain work on packed keys', () => {
    const m = new DashMap({ shards: 4 });
    for (let i = 0; i < 500; i++) m.add(i % 50, 1);
    for (let i = 0; i < 50; i++) assert.equal(m.get(i), 10);
    assert.equal(m.compareAndSet(7, 10, 11), true);
    assert.equal(m.take(8), 10);
    assert.equal(m.getOrInsert(8, 3), 3);
    m.retain((v, k) => k % 2 === 0);
    assert.deepEqual([...m.keys()].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i * 2));
  });
});
