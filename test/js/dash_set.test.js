'use strict';
// DashSet: the Set API over the DashMap engine, shared across workers. The
// same operation sequences run on a JS Set and on a DashSet must agree;
// insert() claims a value for exactly one thread; handles, names and bad
// input as for the maps.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('node:util');
const { threadmap, startWorker, terminateAll, sortedKeys, gcUntil, rng, LIB } = require('./helpers');

const { DashSet, DashMap, namedMaps, dropName, liveMaps } = threadmap;

afterEach(async () => {
  await terminateAll();
  for (const name of namedMaps()) dropName(name);
});

// Values whose Set semantics (SameValueZero) a DashSet must keep: -0 and 0
// are one member, NaN is one member, 1 and 1n and '1' are three.
const VALUES = [0, -0, NaN, 1, 1n, '1', '', 'a', 'é', '\u{1F600}', '\ud800', 'a\0b', true, false, 2 ** 53, -1.5, 2n ** 70n, -(2n ** 70n),
  ...Array.from({ length: 40 }, (_, i) => `k${i}`), ...Array.from({ length: 20 }, (_, i) => i * 7)];

test('DashSet and Set agree on 20,000 random add/insert/delete/has/clear calls', () => {
  const next = rng(0xd45e7);
  const js = new Set();
  const shared = new DashSet();
  for (let i = 0; i < 20000; i++) {
    const v = VALUES[Math.floor(next() * VALUES.length)];
    const op = next();
    if (op < 0.35) {
      assert.equal(shared.add(v), shared);
      js.add(v);
    } else if (op < 0.55) {
      const was = js.has(v);
      js.add(v);
      assert.equal(shared.insert(v), !was, `insert(${inspect(v)}) at step ${i}`);
    } else if (op < 0.75) {
      assert.equal(shared.delete(v), js.delete(v), `delete(${inspect(v)}) at step ${i}`);
    } else if (op < 0.9995) {
      assert.equal(shared.has(v), js.has(v), `has(${inspect(v)}) at step ${i}`);
    } else {
      shared.clear();
      js.clear();
    }
    assert.equal(shared.size, js.size, `size at step ${i}`);
  }
  assert.deepEqual(sortedKeys(shared), sortedKeys(js));
  assert.deepEqual(sortedKeys(shared.keys()), sortedKeys(js.keys()));
});

test('DashSet: members as Set gives them back (-0 as 0), entries are [v, v], forEach as Set\'s', () => {
  const s = new DashSet([-0, NaN, 'x', 5n, true]);
  const js = new Set([-0, NaN, 'x', 5n, true]);
  assert.deepEqual(sortedKeys(s), sortedKeys(js));
  assert.ok([...s].some((v) => Object.is(v, 0)), '-0 is stored as 0, as Set does');
  assert.ok(!s.has('X') && s.has(-0) && s.has(0) && s.has(NaN));
  for (const [a, b] of s.entries()) assert.ok(Object.is(a, b));
  assert.equal(s[Symbol.iterator]().next().done, false);
  const seen = [];
  const self = {};
  s.forEach(function (a, b, set) {
    assert.equal(this, self);
    assert.equal(set, s);
    assert.ok(Object.is(a, b));
    seen.push(a);
  }, self);
  assert.deepEqual(sortedKeys(seen), sortedKeys(js));
  assert.equal(Object.prototype.toString.call(s), '[object DashSet]');
});

test('DashSet: byte arrays are members by content', () => {
  const s = new DashSet();
  assert.equal(s.insert(Buffer.from('ab')), true);
  assert.equal(s.insert(new Uint8Array([0x61, 0x62])), false, 'same bytes, another object: already a member');
  assert.ok(s.has(new Uint8Array([0x61, 0x62])));
  assert.ok(!s.has(Buffer.from('abc')));
  assert.equal(s.size, 1);
  assert.deepEqual([...s], [Buffer.from('ab')]);
});

test('DashSet: retain and deleteMany', () => {
  const s = new DashSet(Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(s.retain((v) => v % 3 === 0), 666);
  assert.equal(s.size, 334);
  assert.ok(s.has(999) && !s.has(998));
  assert.equal(s.deleteMany([0, 3, 4, 'x']), 2);
  assert.equal(s.size, 332);
  assert.equal(s.deleteMany(new Set([6, 9])), 2);
  // A retain callback that throws keeps what it has not decided on.
  assert.throws(() => s.retain(() => { throw new Error('boom'); }), /boom/);
  assert.equal(s.size, 330);
});

test('DashSet: a retain callback that calls into its own shard gets ERR_WOULD_DEADLOCK, set unchanged', () => {
  const s = new DashSet([1, 2, 3], { shards: 1 });
  for (const call of [(v) => s.add(100 + v), (v) => s.insert(v), (v) => s.has(v), (v) => s.delete(v)]) {
    assert.throws(() => s.retain((v) => { call(v); return false; }), (e) => e.code === 'ERR_WOULD_DEADLOCK');
    assert.deepEqual(sortedKeys(s), [1, 2, 3]);
  }
});

test('DashSet: console.log shows the members as Node shows a Set', () => {
  assert.equal(inspect(new DashSet()), 'DashSet(0) {}');
  assert.equal(inspect(new DashSet(['a'])), "DashSet(1) { 'a' }");
  const big = new DashSet(Array.from({ length: 5 }, (_, i) => i));
  assert.match(inspect(big, { maxArrayLength: 2 }), /^DashSet\(5\) \{ \d, \d, \.\.\. 3 more items \}$/);
  assert.equal(inspect({ s: new DashSet([1]) }, { depth: -1 }), '[Object]');
  assert.equal(inspect([[new DashSet([1])]], { depth: 0 }), '[ [Array] ]');
  assert.equal(inspect({ a: { s: new DashSet([1]) } }, { depth: 1 }), '{ a: { s: [DashSet] } }');
});

test('DashSet: bad input is a TypeError or RangeError and leaves the set unchanged', () => {
  const s = new DashSet(['keep'], { maxKeyBytes: 8 });
  const before = sortedKeys(s);
  // The messages speak of members (a DashMap's of keys).
  const invalidMember = (e) => e instanceof TypeError && /^invalid member: .*; a DashSet's members are strings/.test(e.message);
  for (const bad of [{}, [], null, undefined, Symbol('s'), () => 1]) {
    assert.throws(() => s.add(bad), invalidMember);
    assert.throws(() => s.insert(bad), invalidMember);
    assert.throws(() => s.has(bad), invalidMember);
    assert.throws(() => s.delete(bad), invalidMember);
    assert.throws(() => s.deleteMany(['keep', bad]), invalidMember);
  }
  assert.throws(() => s.add('123456789'), (e) => e instanceof RangeError
    && e.message === "member of 9 bytes is over the set's maxKeyBytes (8)");
  assert.throws(() => new DashMap({ maxKeyBytes: 8 }).set('123456789', 1), (e) => e instanceof RangeError
    && e.message === "key of 9 bytes is over the map's maxKeyBytes (8)");
  assert.throws(() => new DashMap().set({}, 1), (e) => e instanceof TypeError && /^invalid key: an object; keys are/.test(e.message));
  assert.throws(() => s.deleteMany('ab'), TypeError, 'a string is one value, not a list');
  assert.throws(() => s.retain(5), TypeError);
  assert.throws(() => s.forEach(null), TypeError);
  assert.deepEqual(sortedKeys(s), before);
  assert.throws(() => new DashSet('abc'), /values must be an array or other iterable, not a string/);
  assert.throws(() => new DashSet({ shards: 3 }), RangeError);
  assert.throws(() => new DashSet({ maxValueBytes: 10 }), /unknown option "maxValueBytes"/);
  assert.throws(() => new DashSet({ capacity: 1 }, {}), /first must be an iterable/);
  assert.throws(() => new DashSet(['a', {}, 'b']), TypeError);
  assert.throws(() => structuredClone(s), /DashSet cannot be cloned or posted/);
});

test('DashSet: a handle attaches as a DashSet only', () => {
  const s = new DashSet(['a']);
  const again = DashSet.from(s.handle);
  again.add('b');
  assert.deepEqual(sortedKeys(s), ['a', 'b']);
  assert.throws(() => DashMap.from(s.handle), (e) => e.code === 'ERR_INVALID_HANDLE');
  assert.throws(() => DashSet.from(new DashMap().handle), (e) => e.code === 'ERR_INVALID_HANDLE' && /DashSet/.test(e.message));
  assert.throws(() => DashSet.from(new SharedArrayBuffer(16)), (e) => e.code === 'ERR_INVALID_HANDLE');
  assert.throws(() => DashSet.from('nope'), (e) => e.code === 'ERR_INVALID_HANDLE');
});

test('DashSet.named: one set per name in every thread; a name of another class is a TypeError', async () => {
  const s = DashSet.named('seen');
  assert.equal(DashSet.named('seen'), s);
  assert.throws(() => DashMap.named('seen'), /holds a DashSet, not a DashMap/);
  DashMap.named('counts');
  assert.throws(() => DashSet.named('counts'), /holds a DashMap, not a DashSet/);
  const w = startWorker(`
    const { parentPort } = require('node:worker_threads');
    const { DashSet } = require(${JSON.stringify(LIB)});
    const s = DashSet.named('seen');
    for (let i = 0; i < 100; i++) s.add('w' + i);
    parentPort.postMessage(s.has('main'));
  `);
  s.add('main');
  const { code, messages } = await w.done;
  assert.equal(code, 0);
  assert.equal(s.size, 101);
  assert.equal(typeof messages[0], 'boolean');
});

test('DashSet: 4 workers inserting overlapping values each claim every value exactly once', async () => {
  const WORKERS = 4;
  const N = 20000;
  const s = new DashSet();
  const gate = new Int32Array(new SharedArrayBuffer(8));
  // Worker w inserts every value in [0, N) (strings for the even ones,
  // numbers for the odd ones: both paths), in its own order, and reports
  // the values it claimed.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { DashSet } = require(${JSON.stringify(LIB)});
    const { handle, w, n, gate } = workerData;
    const s = DashSet.from(handle);
    Atomics.add(gate, 0, 1);
    Atomics.wait(gate, 1, 0);
    const claimed = [];
    for (let j = 0; j < n; j++) {
      const i = (j * 7919 + w * 4999) % n;
      if (s.insert(i % 2 ? i : 'v' + i)) claimed.push(i);
    }
    parentPort.postMessage(claimed);
  `;
  const workers = Array.from({ length: WORKERS }, (_, w) => startWorker(code, { workerData: { handle: s.handle, w, n: N, gate } }));
  while (Atomics.load(gate, 0) !== WORKERS) await new Promise((r) => setTimeout(r, 2));
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const claims = new Uint8Array(N);
  for (const { code: exit, messages } of await Promise.all(workers.map((x) => x.done))) {
    assert.equal(exit, 0);
    for (const i of messages[0]) claims[i]++;
  }
  assert.equal(s.size, N);
  for (let i = 0; i < N; i++) assert.equal(claims[i], 1, `value ${i} claimed ${claims[i]} times`);
});

test('DashSet: freed when no thread holds it', async () => {
  // The earlier tests' sets and maps are garbage by now (their names dropped).
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `left over: ${liveMaps()}`);
  let handle = (() => {
    const s = new DashSet(['a', 'b']);
    DashSet.from(s.handle).add('c');
    return s.handle;
  })();
  await gcUntil(() => false, 50);
  assert.equal(liveMaps(), 1, 'the handle keeps it');
  assert.equal(DashSet.from(handle).size, 3);
  handle = undefined;
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `liveMaps() ${liveMaps()}, expected 0`);
});

test('DashSet: the ES module exports the same class', async () => {
  const esm = await import('../../lib/index.mjs');
  assert.equal(esm.DashSet, DashSet);
  assert.equal(esm.default.DashSet, DashSet);
});

test('DashSet: a member costs its key\'s slot only, about half a DashMap entry\'s table bytes', () => {
  const n = 100000;
  const set = new DashSet();
  const map = new DashMap();
  for (let i = 0; i < n; i++) {
    set.add(i);
    map.set(i, true);
  }
  // Packed tables: 8-byte slots and a control byte against 16 and 1.
  assert.ok(set.nativeBytes() < map.nativeBytes() * 0.6, `set ${set.nativeBytes()} B, map ${map.nativeBytes()} B`);
});
