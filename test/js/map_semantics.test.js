'use strict';
// The Map-like core of DashMap must behave like a JS Map. Every case below
// is written once and runs against both a `Map` and a `DashMap`; the
// differential test at the end runs the same random operation sequence on
// both and compares every result.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('node:util');
const { threadmap, sortedEntries, sortedKeys, keyTag, rng } = require('./helpers');

const { DashMap, DashSet, LockMap, LruLockMap, LockFreeMap, HopscotchMap } = threadmap;

const impls = [
  { name: 'Map', make: () => new Map() },
  { name: 'DashMap', make: () => new DashMap() },
  { name: 'DashMap (1 shard)', make: () => new DashMap({ shards: 1 }) },
  { name: 'DashMap (via handle)', make: () => DashMap.from(new DashMap({ shards: 4 }).handle) },
  { name: 'LockMap', make: () => new LockMap() },
  { name: 'LockMap (via handle)', make: () => LockMap.from(new LockMap({ shards: 2 }).handle) },
  { name: 'LruLockMap (room for all)', make: () => new LruLockMap({ capacity: 1e6, shards: 4 }) },
  { name: 'LockFreeMap', make: () => new LockFreeMap() },
  { name: 'LockFreeMap (1 fixed bucket)', make: () => new LockFreeMap({ buckets: 1 }) },
  { name: 'LockFreeMap (via handle)', make: () => LockFreeMap.from(new LockFreeMap({ capacity: 100 }).handle) },
  { name: 'HopscotchMap', make: () => new HopscotchMap() },
  { name: 'HopscotchMap (via handle)', make: () => HopscotchMap.from(new HopscotchMap({ capacity: 100 }).handle) },
];

const long15 = 'abcdefghijklmno'; // 15 latin1 chars: one past the inline key size
const long2k = 'x'.repeat(2048) + 'end';
const big = 2n ** 200n + 12345n;

// Keys that are all distinct under SameValueZero.
const distinctKeys = [
  0, 1, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 53),
  '0', '1', '-0', 'NaN', '', ' ', 'a', 'A', 'true', 'false',
  '\0', 'a\0', 'a\0b', 'a\0c', '\0\0',
  '\ud800', '\udc00', '\ud800\udc00', '\udc00\ud800', '\ud83d\ude00', '\u{1F600}x',
  'é', 'ÿ', '\u0100', 'ÿ'.repeat(14), 'ÿ'.repeat(15), '\u0100'.repeat(7), '\u0100'.repeat(8),
  'a'.repeat(13), 'a'.repeat(14), long15, long15 + 'p', long2k, long2k + '!',
  0n, 1n, -1n, 255n, 256n, 2n ** 63n, 2n ** 64n, -(2n ** 64n), 2n ** 64n - 1n, big, -big, 2n ** 111n, 2n ** 112n,
  true, false,
];

function forEachImpl(title, fn) {
  describe(title, () => {
    for (const impl of impls) test(impl.name, () => fn(impl.make()));
  });
}

forEachImpl('set/get/has/delete/size on a fresh map', (m) => {
  assert.equal(m.size, 0);
  assert.equal(m.get('a'), undefined);
  assert.equal(m.has('a'), false);
  assert.equal(m.delete('a'), false);
  assert.equal(m.set('a', 1), m, 'set returns the map itself');
  assert.equal(m.size, 1);
  assert.equal(m.get('a'), 1);
  assert.equal(m.has('a'), true);
  assert.equal(m.delete('a'), true);
  assert.equal(m.delete('a'), false);
  assert.equal(m.has('a'), false);
  assert.equal(m.size, 0);
});

forEachImpl('set is chainable', (m) => {
  m.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(m.size, 3);
  assert.deepEqual([m.get('a'), m.get('b'), m.get('c')], [1, 2, 3]);
});

forEachImpl('overwriting a key keeps one entry with the last value', (m) => {
  m.set('k', 1);
  m.set('k', 'two');
  m.set('k', 3n);
  assert.equal(m.size, 1);
  assert.equal(m.get('k'), 3n);
});

forEachImpl('set(k) without a value stores undefined', (m) => {
  m.set('k');
  assert.equal(m.has('k'), true);
  assert.equal(m.get('k'), undefined);
  assert.equal(m.size, 1);
});

forEachImpl('clear removes everything and the map stays usable', (m) => {
  for (let i = 0; i < 100; i++) m.set(i, i);
  assert.equal(m.size, 100);
  assert.equal(m.clear(), undefined);
  assert.equal(m.size, 0);
  assert.equal(m.has(5), false);
  assert.deepEqual([...m], []);
  m.set(5, 'again');
  assert.equal(m.get(5), 'again');
  assert.equal(m.size, 1);
});

forEachImpl('0 and -0 are one key (read back as +0)', (m) => {
  m.set(-0, 'neg');
  assert.equal(m.get(0), 'neg');
  assert.equal(m.has(0), true);
  m.set(0, 'pos');
  assert.equal(m.size, 1);
  assert.equal(m.get(-0), 'pos');
  const [k] = [...m.keys()];
  assert.ok(Object.is(k, 0), 'the key comes back as +0');
  assert.equal(m.delete(-0), true);
  assert.equal(m.size, 0);
});

forEachImpl('NaN is one key, whatever its bit pattern', (m) => {
  const otherNaN = new Float64Array(new BigUint64Array([0xfff8_0000_0000_1234n]).buffer)[0];
  assert.ok(Number.isNaN(otherNaN));
  m.set(NaN, 1);
  m.set(0 / 0, 2);
  m.set(otherNaN, 3);
  assert.equal(m.size, 1);
  assert.equal(m.get(NaN), 3);
  assert.ok(Number.isNaN([...m.keys()][0]));
});

forEachImpl('numbers, bigints, strings and booleans never collide', (m) => {
  m.set(1, 'number');
  m.set(1n, 'bigint');
  m.set('1', 'string');
  m.set(true, 'true');
  m.set('true', 'string true');
  m.set(0, 'zero');
  m.set(0n, 'zero bigint');
  m.set(false, 'false');
  m.set('', 'empty');
  assert.equal(m.size, 9);
  assert.equal(m.get(1), 'number');
  assert.equal(m.get(1n), 'bigint');
  assert.equal(m.get('1'), 'string');
  assert.equal(m.get(true), 'true');
  assert.equal(m.get('true'), 'string true');
  assert.equal(m.get(0), 'zero');
  assert.equal(m.get(0n), 'zero bigint');
  assert.equal(m.get(false), 'false');
  assert.equal(m.get(''), 'empty');
  // A number key equal to a bigint's value is still another key.
  assert.equal(m.has(2), false);
  m.set(2n, 'two');
  assert.equal(m.has(2), false);
});

forEachImpl('every distinct key is its own entry and reads back identically', (m) => {
  distinctKeys.forEach((k, i) => m.set(k, i));
  assert.equal(m.size, distinctKeys.length);
  distinctKeys.forEach((k, i) => {
    assert.equal(m.get(k), i, `get(${keyTag(k)})`);
    assert.equal(m.has(k), true);
  });
  // Keys come back with their type and exact value (strings by code unit).
  const back = sortedKeys(m.keys());
  const expected = sortedKeys(distinctKeys);
  assert.equal(back.length, expected.length);
  for (let i = 0; i < back.length; i++) {
    assert.equal(typeof back[i], typeof expected[i]);
    assert.ok(Object.is(back[i], expected[i]), `${keyTag(back[i])} vs ${keyTag(expected[i])}`);
  }
  // Deleting each one removes only it.
  distinctKeys.forEach((k, i) => {
    assert.equal(m.delete(k), true, `delete(${keyTag(k)})`);
    assert.equal(m.size, distinctKeys.length - i - 1);
    if (i + 1 < distinctKeys.length) assert.equal(m.get(distinctKeys[i + 1]), i + 1);
  });
});

forEachImpl('strings compare by UTF-16 code units', (m) => {
  m.set('\ud83d\ude00', 'pair');
  assert.equal(m.get('😀'), 'pair', 'an astral char is its surrogate pair');
  assert.equal(m.get('\ud83d'), undefined, 'a lone high surrogate is another key');
  assert.equal(m.get('\ude00'), undefined);
  m.set('\ud800', 'hi');
  m.set('\udc00', 'lo');
  assert.equal(m.get('\ud800'), 'hi');
  assert.equal(m.get('\udc00'), 'lo');
  // Normalisation forms are different strings.
  m.set('\u00e9', 'nfc');
  m.set('e\u0301', 'nfd');
  assert.equal(m.get('é'), 'nfc');
  assert.equal(m.get('e\u0301'), 'nfd');
  // Embedded NUL is a code unit like any other.
  m.set('a\0b', 1);
  assert.equal(m.get('a'), undefined);
  assert.equal(m.get('a\0'), undefined);
  assert.equal(m.get('a\0b'), 1);
  // Built strings (cons/sliced) equal to literals are the same key.
  const built = ['\ud83d', '\ude00'].join('');
  assert.equal(m.get(built), 'pair');
  const sliced = ('zz' + long2k + 'zz').slice(2, -2);
  m.set(long2k, 'long');
  assert.equal(m.get(sliced), 'long');
  assert.equal(m.size, 7);
});

forEachImpl('a Latin-1 string stored in a two-byte V8 string is the same key as its one-byte twin', (m) => {
  // Slices of a string holding U+0100 keep V8's two-byte representation.
  const short = ('\u0100' + 'é\0a').slice(1);
  const long = ('\u0100' + 'éÿ'.repeat(20)).slice(1);
  const ascii = ('\u0100' + 'plain ascii text').slice(1);
  m.set('é\0a', 1).set('éÿ'.repeat(20), 2).set('plain ascii text', 3);
  assert.equal(m.get(short), 1);
  assert.equal(m.get(long), 2);
  assert.equal(m.get(ascii), 3);
  m.set(short, 'a').set(long, 'b').set(ascii, 'c');
  assert.equal(m.size, 3);
  assert.deepEqual(sortedEntries(m), sortedEntries([['é\0a', 'a'], ['éÿ'.repeat(20), 'b'], ['plain ascii text', 'c']]));
});

forEachImpl('keys around the inline/heap boundary stay distinct', (m) => {
  for (let n = 0; n <= 40; n++) {
    m.set('a'.repeat(n), `a${n}`);
    m.set('\u0101'.repeat(n), `w${n}`); // n = 0: the same key '' again
    m.set(2n ** BigInt(8 * n), `b${n}`);
    m.set(-(2n ** BigInt(8 * n)) + 1n, `nb${n}`);
  }
  for (let n = 0; n <= 40; n++) {
    assert.equal(m.get('a'.repeat(n)), n === 0 ? 'w0' : `a${n}`);
    if (n > 0) assert.equal(m.get('\u0101'.repeat(n)), `w${n}`);
    assert.equal(m.get(2n ** BigInt(8 * n)), `b${n}`);
    assert.equal(m.get(-(2n ** BigInt(8 * n)) + 1n), n === 0 ? 'nb0' : `nb${n}`);
  }
  // 2**0 = 1n and -(1n)+1n = 0n: 41 positive powers, 41 "minus power plus one" (incl. 0n).
  assert.equal(m.size, 41 + 40 + 41 + 41);
});

forEachImpl('bigint keys: 0n and -0n are one key; huge values of both signs', (m) => {
  m.set(0n, 'zero');
  assert.equal(m.get(-0n), 'zero');
  const huge = 2n ** 4000n - 1n;
  m.set(huge, 'pos');
  m.set(-huge, 'neg');
  m.set(huge - 1n, 'pos-1');
  assert.equal(m.size, 4);
  assert.equal(m.get(huge), 'pos');
  assert.equal(m.get(-huge), 'neg');
  assert.equal(m.get(huge - 1n), 'pos-1');
  assert.equal(m.get(huge + 1n), undefined);
  assert.ok(sortedKeys(m.keys()).some((k) => k === -huge));
});

forEachImpl('a long string key (> 1 KB) and its prefixes', (m) => {
  const s = 'q'.repeat(5000);
  m.set(s, 1);
  assert.equal(m.get(s.slice(0, 4999)), undefined);
  assert.equal(m.get(s + 'q'), undefined);
  assert.equal(m.get('q'.repeat(5000)), 1);
  assert.equal([...m.keys()][0], s);
});

forEachImpl('iteration: keys/values/entries/forEach/spread agree on one set of entries', (m) => {
  const expected = new Map();
  for (let i = 0; i < 200; i++) {
    const k = i % 3 === 0 ? `s${i}` : i % 3 === 1 ? i : BigInt(i);
    expected.set(k, { i });
    m.set(k, { i });
  }
  const viaEntries = sortedEntries(m.entries());
  assert.deepEqual(viaEntries, sortedEntries(expected));
  assert.deepEqual(sortedEntries([...m]), viaEntries, 'spread uses Symbol.iterator = entries');
  assert.deepEqual(sortedEntries(Array.from(m)), viaEntries);
  const keys = [...m.keys()];
  const values = [...m.values()];
  assert.equal(keys.length, 200);
  assert.equal(values.length, 200);
  // keys() and values() are in the same order as entries().
  assert.deepEqual(keys.map((k, j) => [k, values[j]]), [...m.entries()]);
  const seen = [];
  const self = {};
  m.forEach(function (v, k, map) {
    assert.equal(this, self);
    assert.equal(map, m);
    seen.push([k, v]);
  }, self);
  assert.deepEqual(sortedEntries(seen), viaEntries);
  for (const [k, v] of m) assert.deepEqual(m.get(k), v);
});

forEachImpl('iterating an empty map yields nothing', (m) => {
  assert.deepEqual([...m], []);
  assert.deepEqual([...m.keys()], []);
  assert.deepEqual([...m.values()], []);
  let calls = 0;
  m.forEach(() => calls++);
  assert.equal(calls, 0);
});

forEachImpl('many entries: growth, lookups, deletes', (m) => {
  const n = 20000;
  for (let i = 0; i < n; i++) m.set(`key:${i}`, i);
  assert.equal(m.size, n);
  for (let i = 0; i < n; i += 7) assert.equal(m.get(`key:${i}`), i);
  let removed = 0;
  for (let i = 0; i < n; i += 2) removed += m.delete(`key:${i}`) ? 1 : 0;
  assert.equal(removed, n / 2);
  assert.equal(m.size, n / 2);
  for (let i = 0; i < 100; i++) assert.equal(m.has(`key:${i}`), i % 2 === 1);
  for (let i = 0; i < n; i += 2) m.set(`key:${i}`, -i);
  assert.equal(m.size, n);
  assert.equal(m.get('key:10'), -10);
  assert.equal([...m.keys()].length, n);
});

describe('new X(entries, options?) fills the map as new Map(entries) does', () => {
  const makers = [
    ['DashMap', (e, o) => new DashMap(e, o), { shards: 2 }],
    ['LockMap', (e, o) => new LockMap(e, o), { shards: 2 }],
    ['LruLockMap', (e, o) => new LruLockMap(e, o ?? { capacity: 1000 }), { capacity: 1000, shards: 2 }],
    ['LockFreeMap', (e, o) => new LockFreeMap(e, o), { buckets: 4 }],
    ['HopscotchMap', (e, o) => new HopscotchMap(e, o), { capacity: 64 }],
  ];
  const sources = {
    'an array, a later duplicate winning': [['a', 1], [2, { two: 2 }], [3n, 'three'], ['a', 4], [NaN, null], [-0, 'zero'], [0, 'zero again']],
    'a Map': new Map([['x', [1, 2]], [true, 1.5]]),
    'a generator': (function* gen() { for (let i = 0; i < 300; i++) yield [`k${i}`, i]; })(),
    'an empty array': [],
    'entries that are objects, read by [0] and [1]': [{ 0: 'o', 1: 'bj', 2: 'ignored' }, Object.assign(() => 0, { 0: 'fn', 1: 1 })],
  };
  for (const [className, make, options] of makers) {
    test(className, () => {
      for (const [label, source] of Object.entries(sources)) {
        const list = [...source];  // a generator runs once: keep its pairs for both maps
        const expected = sortedEntries(new Map(list).entries());
        assert.deepEqual(sortedEntries(make(list).entries()), expected, `${className}: ${label}`);
        assert.deepEqual(sortedEntries(make(list, options).entries()), expected, `${className}: ${label}, with options`);
      }
      const original = make([['p', 1], ['q', 2]]);
      const copy = make(original);  // another threadmap map is an iterable of entries: a copy, not a share
      copy.set('p', 10);
      assert.equal(original.get('p'), 1, `${className}: the copy is a new map`);
      assert.deepEqual(sortedEntries(copy.entries()), [['p', 10], ['q', 2]]);
      if (className === 'DashMap') assert.equal(make([], { shards: 8 }).shardCount, 8, 'the options still apply');
    });
  }

  test('LruLockMap keeps the last `capacity` entries, as if set one by one', () => {
    const m = new LruLockMap([[1, 1], [2, 2], [3, 3], [4, 4]], { capacity: 2, shards: 1 });
    assert.deepEqual(sortedEntries(m.entries()), [[3, 3], [4, 4]]);
  });

  test('bad entries or arguments: TypeError, naming the class', () => {
    for (const [className, make] of makers) {
      for (const [entries, pattern] of [
        [[1, 2], new RegExp(`^${className}: each entry must be a \\[key, value\\] pair`)],
        [[['a', 1], 'ab'], new RegExp(`^${className}: each entry must be a \\[key, value\\] pair`)],
        [[['a', 1], null], new RegExp(`^${className}: each entry must be a \\[key, value\\] pair`)],
        [new Set(['s', 'v']), new RegExp(`^${className}: each entry must be a \\[key, value\\] pair`)],
        [[new Set(['s', 'v'])], /invalid key: undefined/],  // read by [0] and [1], as new Map(entries) does: no key
      ]) {
        assert.throws(() => make(entries), (e) => e instanceof TypeError && pattern.test(e.message), `${className}: ${pattern}`);
      }
      assert.throws(() => make([[{}, 1]]), (e) => e instanceof TypeError && /invalid key/.test(e.message), `${className}: object key`);
      assert.throws(() => make([['k', () => 1]]), (e) => e instanceof TypeError && /cannot be cloned/.test(e.message), `${className}: function value`);
      assert.throws(() => make({ capacity: 8 }, { capacity: 8 }), (e) => e instanceof TypeError && /first must be an iterable/.test(e.message), `${className}: two option objects`);
      assert.throws(() => make([], 'opts'), (e) => e instanceof TypeError && /options must be an object/.test(e.message), `${className}: options not an object`);
      assert.throws(() => make([], { nope: 1 }), (e) => e instanceof TypeError && /unknown option "nope"/.test(e.message), `${className}: unknown option`);
    }
    assert.throws(() => new LruLockMap([['a', 1]]), /capacity is required/);
  });
});

describe('DashMap only', () => {
  test('byte-array keys compare by content and come back as Buffers', () => {
    const m = new DashMap();
    const a = Buffer.from([1, 2, 3]);
    const b = Buffer.from([1, 2, 3]);
    assert.notEqual(a, b);
    m.set(a, 'first');
    m.set(b, 'second');
    assert.equal(m.size, 1);
    assert.equal(m.get(new Uint8Array([1, 2, 3])), 'second', 'a Uint8Array with the same bytes is the same key');
    assert.equal(m.get(Buffer.from([1, 2])), undefined);
    assert.equal(m.get(Buffer.from([1, 2, 3, 0])), undefined);
    const [k] = [...m.keys()];
    assert.ok(Buffer.isBuffer(k), 'a key comes back as a Buffer');
    assert.deepEqual([...k], [1, 2, 3]);
    assert.notEqual(k, a);
  });

  test('a byte key is copied: mutating the original does not move the entry', () => {
    const m = new DashMap();
    const key = new Uint8Array([9, 9, 9]);
    m.set(key, 1);
    key[0] = 0;
    assert.equal(m.get(new Uint8Array([9, 9, 9])), 1);
    assert.equal(m.get(key), undefined);
  });

  test('views compare by the bytes they see (offset and length), not the whole buffer', () => {
    const m = new DashMap();
    const backing = new Uint8Array([7, 1, 2, 3, 7]);
    m.set(backing.subarray(1, 4), 'view');
    assert.equal(m.get(new Uint8Array([1, 2, 3])), 'view');
    assert.equal(m.get(backing), undefined);
    const pooled = Buffer.from('abc'); // a slice of Buffer's shared pool
    m.set(pooled, 'pooled');
    assert.equal(m.get(Buffer.from([0x61, 0x62, 0x63])), 'pooled');
  });

  test('byte keys: empty, long, and distinct from strings with the same bytes', () => {
    const m = new DashMap();
    m.set(new Uint8Array(0), 'empty bytes');
    m.set('', 'empty string');
    m.set(Buffer.from('abc'), 'bytes');
    m.set('abc', 'string');
    const longBytes = Buffer.alloc(3000, 0xab);
    m.set(longBytes, 'long');
    assert.equal(m.size, 5);
    assert.equal(m.get(Buffer.alloc(0)), 'empty bytes');
    assert.equal(m.get(''), 'empty string');
    assert.equal(m.get(Buffer.from('abc')), 'bytes');
    assert.equal(m.get('abc'), 'string');
    assert.equal(m.get(Buffer.alloc(3000, 0xab)), 'long');
    assert.equal(m.get(Buffer.alloc(2999, 0xab)), undefined);
    assert.equal(m.delete(new Uint8Array(3000).fill(0xab)), true);
    assert.equal(m.size, 4);
    const kinds = sortedKeys(m.keys()).map((k) => (Buffer.isBuffer(k) ? `buf${k.length}` : typeof k));
    assert.deepEqual(kinds.sort(), ['buf0', 'buf3', 'string', 'string']);
  });

  test('user code run during iteration may write to the map (no lock is held)', () => {
    const m = new DashMap({ shards: 4 });
    for (let i = 0; i < 200; i++) m.set(i, i);
    let visited = 0;
    for (const [k, v] of m) {
      if (typeof k !== 'number') continue; // a key added during the walk may be seen or not
      visited++;
      assert.equal(m.get(k), v);
      m.delete(k);
      m.set(`new:${k}`, v);
    }
    assert.equal(visited, 200);
    for (let i = 0; i < 200; i++) {
      assert.equal(m.has(i), false);
      assert.equal(m.get(`new:${i}`), i);
    }
    let calls = 0;
    m.forEach((v, k) => {
      if (k === 'calls') return;
      calls++;
      m.set(k, v + 1);
      m.add('calls');
    });
    assert.equal(calls, 200);
    assert.equal(m.get('new:5'), 6);
    assert.equal(m.get('calls'), 200);
  });

  test('the same map read through string values written by a two-byte Latin-1 string', () => {
    const m = new DashMap();
    const twoByte = ('\u0100' + 'café au lait, s\'il vous plaît').slice(1);
    m.set('k', twoByte);
    assert.equal(m.get('k'), 'café au lait, s\'il vous plaît');
    assert.equal(m.compareAndSet('k', 'café au lait, s\'il vous plaît', 'swapped'), true);
    m.set('big', 1n);
    m.set(1n, twoByte); // a bigint key: not the V8 fast path
    assert.equal(m.compareAndSet(1n, 'café au lait, s\'il vous plaît', 'ok'), true);
  });

  test('toStringTag and the iterator protocol', () => {
    const m = new DashMap();
    assert.equal(Object.prototype.toString.call(m), '[object DashMap]');
    const it = m.entries();
    assert.equal(typeof it.next, 'function');
    assert.equal(it[Symbol.iterator](), it);
    assert.deepEqual(it.next(), { value: undefined, done: true });
    assert.deepEqual(it.next(), { value: undefined, done: true });
    // Every iterator inherits from %IteratorPrototype%, as Map's and
    // generators' do (so Iterator.prototype's helpers apply where Node has them).
    const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    const s = new DashSet(['a']);
    for (const i of [m.keys(), m.values(), m[Symbol.iterator](), s.values(), s.entries(), new LockMap().keys()]) {
      assert.ok(iteratorPrototype.isPrototypeOf(i));
      assert.equal(Object.prototype.toString.call(i), '[object threadmap Iterator]');
    }
  });

  // As Node shows a Map iterator: what is left, and showing it consumes nothing.
  test('util.inspect of an iterator shows what is left without consuming it', () => {
    const m = new DashMap([['a', 1]], { shards: 1 });
    const it = m.entries();
    assert.equal(inspect(it), "[DashMap Entries] { [ 'a', 1 ] }");
    assert.deepEqual(it.next().value, ['a', 1], 'the view took nothing');
    assert.equal(inspect(it), '[DashMap Entries] {}');
    assert.equal(inspect(new DashSet(['x']).values()), "[DashSet Iterator] { 'x' }");
    const many = new LockFreeMap();
    for (let i = 0; i < 150; i++) many.set(i, i);
    const shown = inspect(many.values());
    assert.match(shown, /^\[LockFreeMap Iterator\] \{ (\d+, ){100}\.\.\. \}$/);
    assert.equal(inspect(many.keys(), { maxArrayLength: 2 }).split(', ').length, 3);
    assert.equal([...many.keys()].length, 150);
  });

  test('shardCount honours the shards option', () => {
    assert.equal(new DashMap({ shards: 1 }).shardCount, 1);
    assert.equal(new DashMap({ shards: 16 }).shardCount, 16);
    assert.equal(new DashMap({ shards: 65536 }).shardCount, 65536);
    const m = new DashMap({ shards: 4, capacity: 1000 });
    for (let i = 0; i < 1000; i++) m.set(i, i);
    const sizes = m.shardSizes();
    assert.equal(sizes.length, 4);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 1000);
  });
});

// ---- differential test: one random sequence on Map and DashMap ----


// Pool with aliases (-0/0, two NaNs, equal strings built differently).
const poolKeys = [...distinctKeys, -0, 0 / 0, -0n, ['\ud83d', '\ude00'].join(''), long15.slice(0)];
const poolValues = [0, -0, NaN, 1, 'v', '', '\ud800', 5n, -5n, true, false, null, undefined, long2k];

const differentialClasses = [
  ['DashMap', (o) => new DashMap(o)],
  ['LockMap', (o) => new LockMap(o)],
  ['LruLockMap', (o) => new LruLockMap({ capacity: 1e6, ...o })],
  // seed 1's `shards: 1` becomes one fixed bucket (every key in one chain).
  ['LockFreeMap', (o) => new LockFreeMap(o.shards === 1 ? { buckets: 1 } : {})],
  ['HopscotchMap', (o) => new HopscotchMap(o.shards === 1 ? {} : { capacity: 1000 })],
];

for (const [className, make] of differentialClasses) test(`differential: random operations give the same results on Map and ${className}`, () => {
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const ref = new Map();
    const dm = make({ shards: seed === 1 ? 1 : 8 });
    const pick = (arr) => arr[Math.floor(r() * arr.length)];
    for (let step = 0; step < 4000; step++) {
      const k = pick(poolKeys);
      const op = r();
      const where = `seed ${seed} step ${step} key ${keyTag(k)}`;
      if (op < 0.4) {
        const v = pick(poolValues);
        assert.equal(dm.set(k, v), dm);
        ref.set(k, v);
      } else if (op < 0.6) {
        const got = dm.get(k);
        assert.ok(Object.is(got, ref.get(k)), `get: ${where}`);
      } else if (op < 0.75) {
        assert.equal(dm.has(k), ref.has(k), `has: ${where}`);
      } else if (op < 0.95) {
        assert.equal(dm.delete(k), ref.delete(k), `delete: ${where}`);
      } else if (op < 0.999) {
        assert.equal(dm.size, ref.size, `size: ${where}`);
      } else {
        dm.clear();
        ref.clear();
      }
    }
    const a = sortedEntries(dm);
    const b = sortedEntries(ref);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Object.is(a[i][0], b[i][0]) || (a[i][0] === 0 && b[i][0] === 0), `key ${keyTag(a[i][0])}`);
      assert.ok(Object.is(a[i][1], b[i][1]), `value of ${keyTag(a[i][0])}`);
    }
  }
});

// The same against a model of DESIGN.md's atomic and batch operations: each
// call's result and the map afterwards. The pools mix what the fast path
// takes (string, number, boolean keys; number, string, boolean, null,
// undefined values) with what it leaves to the full path (bigint keys and
// values, long strings), so both paths and the switches between them run.
const sameValueZero = (a, b) => a === b || (a !== a && b !== b);

for (const [className, make] of differentialClasses) test(`differential: atomic and batch operations give the model's results on ${className}`, () => {
  for (const seed of [4, 5]) {
    const r = rng(seed);
    const ref = new Map();
    const m = make({ shards: 8 });
    const pick = (arr) => arr[Math.floor(r() * arr.length)];
    const some = (arr) => Array.from({ length: Math.floor(r() * 4) }, () => pick(arr));
    const same = (got, want, what) => assert.ok(Object.is(got, want), `${what}: got ${String(got)}, want ${String(want)}`);
    for (let step = 0; step < 3000; step++) {
      const k = pick(poolKeys);
      const v = pick(poolValues);
      const op = Math.floor(r() * 10);
      const where = `seed ${seed} step ${step} op ${op} key ${keyTag(k)}`;
      switch (op) {
        case 0: { // getOrInsert
          const want = ref.has(k) ? ref.get(k) : (ref.set(k, v), v);
          same(m.getOrInsert(k, v), want, `getOrInsert ${where}`);
          break;
        }
        case 1: { // take
          const want = ref.get(k);
          ref.delete(k);
          same(m.take(k), want, `take ${where}`);
          break;
        }
        case 2: { // compareAndSet: expected undefined means absent
          const expected = r() < 0.5 && ref.has(k) ? ref.get(k) : pick(poolValues);
          const match = expected === undefined ? !ref.has(k) : ref.has(k) && sameValueZero(ref.get(k), expected);
          if (match) ref.set(k, v);
          assert.equal(m.compareAndSet(k, expected, v), match, `compareAndSet ${where}`);
          break;
        }
        case 3: { // update: fn sees the old value; undefined deletes
          const old = ref.get(k);
          if (v === undefined) ref.delete(k); else ref.set(k, v);
          let seen = 'not called';
          same(m.update(k, (o) => { seen = o; return v; }), v, `update ${where}`);
          same(seen, old, `update's old value ${where}`);
          break;
        }
        case 4: { // getOrInsertComputed
          const want = ref.has(k) ? ref.get(k) : (ref.set(k, v), v);
          same(m.getOrInsertComputed(k, () => v), want, `getOrInsertComputed ${where}`);
          break;
        }
        case 5: { // add: numbers to numbers, bigints to bigints, else TypeError and no change
          const delta = pick([1, -0.5, 2n, -3n]);
          const old = ref.get(k);
          if (!ref.has(k) || typeof old === typeof delta) {  // a stored undefined is not a number
            const sum = (old === undefined ? (typeof delta === 'bigint' ? 0n : 0) : old) + delta;
            ref.set(k, sum);
            same(m.add(k, delta), sum, `add ${where}`);
          } else {
            assert.throws(() => m.add(k, delta), TypeError, `add ${where}`);
          }
          break;
        }
        case 6: { // setMany
          const entries = some(poolKeys).map((key) => [key, pick(poolValues)]);
          for (const [key, value] of entries) ref.set(key, value);
          assert.equal(m.setMany(entries), m);
          break;
        }
        case 7: { // deleteMany: how many were there (a repeated key counts once)
          const keys = some(poolKeys);
          let want = 0;
          for (const key of keys) want += ref.delete(key) ? 1 : 0;
          assert.equal(m.deleteMany(keys), want, `deleteMany ${where}`);
          break;
        }
        case 8: { // getMany
          const keys = some(poolKeys);
          const got = m.getMany(keys);
          keys.forEach((key, i) => same(got[i], ref.get(key), `getMany ${where}`));
          break;
        }
        default: { // set
          ref.set(k, v);
          m.set(k, v);
        }
      }
      if (step % 100 === 0) assert.equal(m.size, ref.size, `size ${where}`);
    }
    const a = sortedEntries(m);
    const b = sortedEntries(ref);
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) same(a[i][1], b[i][1], `value of ${keyTag(a[i][0])}`);
  }
});

// DashMap, LockFreeMap and HopscotchMap share their JS get/set/has/delete/add
// and one set of native fast functions (native/addon/fast_path.cc, ByKind),
// which must reach the receiver's own engine whatever the class of the call
// before it.
test('one call site alternating between DashMap and the lock-free classes reaches each map', () => {
  const maps = [new DashMap(), new LockFreeMap(), new HopscotchMap(), new DashMap({ shards: 1 })];
  const n = 2000;
  for (let i = 0; i < n; i++) for (const [j, m] of maps.entries()) m.set('k' + i, i * 10 + j);
  for (let i = 0; i < n; i++) {
    for (const [j, m] of maps.entries()) {
      assert.equal(m.get('k' + i), i * 10 + j);
      assert.equal(m.has('k' + i), true);
      assert.equal(m.add('k' + i, j + 1), i * 10 + 2 * j + 1);
      if (i % 2 === j % 2) assert.equal(m.delete('k' + i), true);
    }
  }
  for (const [j, m] of maps.entries()) {
    assert.equal(m.size, n / 2, `size of map ${j}`);
    for (let i = 0; i < n; i++) {
      assert.equal(m.get('k' + i), i % 2 === j % 2 ? undefined : i * 10 + 2 * j + 1);
    }
  }
});

// setMany and deleteMany (and a DashSet's constructor and deleteMany) read
// their arrays in the fast path, in chunks of 1,024 elements, encoding every
// element before the first change.
test('batch calls over thousands of elements: all or nothing on a bad one, exact counts', () => {
  const n = 5000;
  const keys = Array.from({ length: n }, (_, i) => (i % 2 ? `k${i}` : i));
  for (const make of [() => new DashMap(), () => new LockFreeMap(), () => new HopscotchMap(), () => new LockMap()]) {
    const m = make();
    const entries = keys.map((k, i) => [k, i % 3 ? `v${i}` : i]);
    const bad = entries.slice();
    bad[4000] = [keys[4000], Symbol('no')];
    assert.throws(() => m.setMany(bad), TypeError);
    assert.equal(m.size, 0, `${m.constructor.name}: a bad value at 4000 stores nothing`);
    m.setMany(entries);
    assert.equal(m.size, n);
    for (let i = 0; i < n; i += 97) assert.equal(m.get(keys[i]), entries[i][1]);
    // A later duplicate wins, as in new Map(entries).
    m.setMany([[keys[1], 'first'], [keys[1], 'second']]);
    assert.equal(m.get(keys[1]), 'second');
    assert.throws(() => m.deleteMany([...keys.slice(0, 3000), {}]), TypeError);
    assert.equal(m.size, n, 'a bad key removes nothing');
    assert.equal(m.deleteMany([...keys.slice(0, 3000), 'absent']), 3000);
    assert.equal(m.size, n - 3000);
  }
  const members = keys.concat(keys.slice(0, 100));  // 100 duplicates
  assert.throws(() => new DashSet([...members, {}]), TypeError);
  const s = new DashSet(members);
  assert.equal(s.size, n);
  assert.equal(s.deleteMany(keys.slice(2000)), n - 2000);
  assert.deepStrictEqual(new Set(s), new Set(keys.slice(0, 2000)));
});

// console.log(map) showed `DashMap {}` (the native half is a hidden symbol).
// Every map now prints as Node prints a Map (checked against Map itself):
// class, size, entries.
describe('util.inspect shows the class, the size and the entries, as for a Map', () => {
  for (const impl of impls) {
    test(impl.name, () => {
      const m = impl.make();
      const name = m.constructor.name;
      assert.equal(inspect(m), `${name}(0) {}`);
      m.set('a', { x: [1, 2] });
      assert.equal(inspect(m), `${name}(1) { 'a' => { x: [ 1, 2 ] } }`);
      assert.equal(inspect({ deep: { er: { m } } }), `{ deep: { er: { m: [${name}] } } }`);
      if (m instanceof Map) return;  // a long Map is printed over several lines; ours stays on one
      for (let i = 0; i < 150; i++) m.set(i, i);
      const shown = inspect(m);
      assert.ok(shown.startsWith(`${name}(151) { `), shown.slice(0, 40));
      assert.ok(shown.endsWith(', ... 51 more items }'), shown.slice(-40));
      assert.equal(inspect(m, { maxArrayLength: 0 }), `${name}(151) { ... 151 more items }`);
    });
  }
});

// A service's map that spikes and falls back must not keep the spike's
// memory: every class gives its tables back when most entries go, whether
// by delete, take or retain (nativeBytes counts the tables).
// Every map class, made empty ([name, make]); a DashSet beside them where a
// test is about what every shared collection does.
const mapMakers = [
  ['DashMap', () => new DashMap()],
  ['LockMap', () => new LockMap()],
  ['LruLockMap', () => new LruLockMap({ capacity: 1e6 })],
  ['LockFreeMap', () => new LockFreeMap()],
  ['HopscotchMap', () => new HopscotchMap()],
];

describe('a map that loses most of its entries gives its memory back', () => {
  for (const [name, make] of mapMakers) {
    for (const how of ['delete', 'take', 'retain']) {
      test(`${name}, by ${how}`, () => {
        const m = make();
        const empty = m.nativeBytes();
        const n = 100000;
        for (let i = 0; i < n; i++) m.set(i, i);
        const full = m.nativeBytes();
        if (how === 'retain') {
          assert.equal(m.retain((k) => k % 100 === 0), n - n / 100);
        } else {
          for (let i = 0; i < n; i++) if (i % 100 !== 0) m[how](i);
        }
        assert.equal(m.size, n / 100);
        const left = m.nativeBytes();
        // A fifth: the 1% left keep a small table per shard (up to 64 slots,
        // never rebuilt smaller), and machines with many cores have hundreds
        // of shards. Without the rebuilds nearly all of `full` stays.
        assert.ok(left - empty < (full - empty) / 5, `${name}: ${empty} bytes empty, ${full} full, ${left} with 1% left`);
        for (let i = 0; i < n; i += 100) assert.equal(m.get(i), i);
        assert.equal(m.get(1), undefined);
      });
    }
  }
});

// retain runs its callback once per entry inside one native call: the JS
// values of each call (the decoded key and value) must go when that call
// ends, not pile up until the whole walk returns.
describe('retain does not keep every visited entry\'s JS values until it returns', () => {
  for (const [name, make] of [...mapMakers, ['DashSet', () => new DashSet()]]) {
    test(name, () => {
      const m = make();
      const n = 100000;
      const isSet = m instanceof DashSet;
      for (let i = 0; i < n; i++) {
        const k = `a key long enough to be a string of its own ${i}`;
        if (isSet) m.add(k); else m.set(k, i + 0.5);
      }
      global.gc();
      const before = process.memoryUsage().heapUsed;
      let visited = 0;
      let grown = 0;
      m.retain(() => {
        if (++visited === n) {
          global.gc();
          grown = process.memoryUsage().heapUsed - before;
        }
        return true;
      });
      assert.equal(visited, n);
      // Kept handles would hold n keys (and values) alive: about 7-9 MB here.
      assert.ok(grown < 2e6, `${name}: the heap held ${grown} more bytes at the last visit`);
    });
  }
});
