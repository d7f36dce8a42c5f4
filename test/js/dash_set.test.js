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

// ---- The Set methods of ES2025 (union, intersection, ...). The model
// follows the standard's steps over arrays, with this set read in its
// iteration order; results must match it in content and order.
function modelSetMethod(method, mine, other) {
  const inMine = new Set(mine);
  const otherSize = other.size;
  const otherValues = () => [...other.keys()].map((v) => (Object.is(v, -0) ? 0 : v));
  const otherHas = (v) => Boolean(other.has(v));
  switch (method) {
    case 'union': return new Set([...mine, ...otherValues()]);
    case 'intersection':
      return new Set(mine.length <= otherSize ? mine.filter(otherHas) : otherValues().filter((v) => inMine.has(v)));
    case 'difference': {
      const r = new Set(mine);
      if (mine.length <= otherSize) { for (const v of mine) if (otherHas(v)) r.delete(v); } else for (const v of otherValues()) r.delete(v);
      return r;
    }
    case 'symmetricDifference': {
      const r = new Set(mine);
      for (const v of otherValues()) if (inMine.has(v)) r.delete(v); else r.add(v);
      return r;
    }
    case 'isSubsetOf': return mine.length <= otherSize && mine.every(otherHas);
    case 'isSupersetOf': return mine.length >= otherSize && otherValues().every((v) => inMine.has(v));
    case 'isDisjointFrom':
      return mine.length <= otherSize ? !mine.some(otherHas) : !otherValues().some((v) => inMine.has(v));
    default: throw new Error(method);
  }
}
const SET_METHODS = ['union', 'intersection', 'difference', 'symmetricDifference', 'isSubsetOf', 'isSupersetOf', 'isDisjointFrom'];

test('DashSet set methods match the standard\'s steps against Sets, Maps, DashSets and set-likes (400 random pairs)', () => {
  const next = rng(0x5e7a1);
  const pick = (n) => Array.from({ length: n }, () => VALUES[Math.floor(next() * VALUES.length)]);
  // Values of `other` that cannot be members: simply not members of this set.
  const strangers = [{}, null, undefined, Symbol('s')];
  for (let round = 0; round < 400; round++) {
    const mine = new DashSet(pick(Math.floor(next() * 12)));
    const theirs = [...pick(Math.floor(next() * 12)), ...(next() < 0.3 ? [strangers[round % 4]] : [])];
    const kind = round % 4;
    const memberValues = theirs.filter((v) => v === null || typeof v !== 'object' && typeof v !== 'symbol' && v !== undefined);
    const other = kind === 0 ? new Set(theirs)
      : kind === 1 ? new Map(theirs.map((v) => [v, 'x']))
        : kind === 2 ? new DashSet(memberValues.filter((v) => v !== null))
          : { size: new Set(theirs).size, has: (v) => new Set(theirs).has(v), keys: () => new Set(theirs).keys() };
    const order = [...mine];
    for (const method of SET_METHODS) {
      const got = mine[method](other);
      const want = modelSetMethod(method, order, other);
      if (typeof want === 'boolean') assert.equal(got, want, `${method} round ${round}`);
      else {
        assert.ok(got instanceof Set, `${method} returns a Set`);
        assert.deepEqual([...got], [...want], `${method} round ${round}: ${inspect(order)} with ${inspect(other)}`);
      }
    }
    assert.deepEqual([...mine], order, 'the set itself is unchanged');
  }
});

test('DashSet set methods: the argument is read as the standard reads it, errors as Set\'s', () => {
  const s = new DashSet([1, 2, 3]);
  const like = (size, extra = {}) => ({ size, has: () => false, keys: () => [][Symbol.iterator](), ...extra });
  for (const method of SET_METHODS) {
    for (const bad of [undefined, null, 1, 'abc', [1, 2]]) {
      assert.throws(() => s[method](bad), TypeError, `${method}(${inspect(bad)})`);
    }
    assert.throws(() => s[method](like(undefined)), /size must be a number/);
    assert.throws(() => s[method](like(NaN)), TypeError);
    assert.throws(() => s[method](like('x')), TypeError);
    assert.throws(() => s[method](like(2n)), TypeError, 'a bigint size (ToNumber throws)');
    assert.throws(() => s[method](like(-1)), RangeError);
    assert.throws(() => s[method](like(1, { has: 1 })), /has must be a function/);
    assert.throws(() => s[method](like(1, { keys: undefined })), /keys must be a function/);
    // A size that converts is accepted: '2' is 2, 2.9 is 2.
    assert.doesNotThrow(() => s[method](like('2')));
    assert.doesNotThrow(() => s[method](like(2.9)));
  }
  // keys() must give an iterator object with next, whose results are objects.
  assert.throws(() => s.union(like(0, { keys: () => 5 })), /must return an iterator object/);
  assert.throws(() => s.union(like(0, { keys: () => ({}) })), /no next method/);
  assert.throws(() => s.union(like(0, { keys: () => ({ next: () => 1 }) })), /non-object result/);
  assert.deepEqual([...s].sort(), [1, 2, 3]);
});

test('DashSet set methods: which of has and keys they call, -0, early exits close the iterator, byte arrays', () => {
  const s = new DashSet([1, 2, 3, 'a']);
  const calls = [];
  let closed = 0;
  const spy = (values, size = values.length) => ({
    size,
    has(v) { calls.push(['has', v]); return values.includes(v); },
    keys() {
      calls.push(['keys']);
      let i = 0;
      return { next: () => (i < values.length ? { value: values[i++], done: false } : { done: true }), return() { closed++; return {}; } };
    },
  });
  // A smaller (or equal) this set asks other.has for each member; a bigger one iterates other.keys().
  calls.length = 0;
  assert.deepEqual([...s.intersection(spy([1, 'a', 9, 10]))].sort(), [1, 'a']);
  assert.ok(calls.every(([f]) => f === 'has') && calls.length === 4);
  calls.length = 0;
  assert.deepEqual([...s.intersection(spy(['a', 7]))], ['a']);
  assert.deepEqual(calls.map(([f]) => f), ['keys']);
  // A set-like may yield a value twice: symmetricDifference asks this set,
  // not its result so far (5 stays in, 1 stays out).
  assert.deepEqual([...s.symmetricDifference(spy([5, 5, 1, 1]))].map(String).sort(), ['2', '3', '5', 'a']);
  // -0 from other is 0, as Set#add makes it.
  assert.deepEqual([...new DashSet().union(spy([-0, 0]))].map((v) => Object.is(v, -0)), [false]);
  // isSupersetOf stops at the first value that is not a member, and closes other's iterator.
  closed = 0;
  assert.equal(s.isSupersetOf(spy([1, 'zz', 2])), false);
  assert.equal(closed, 1);
  closed = 0;
  assert.equal(s.isDisjointFrom(spy([9, 2])), false);
  assert.equal(closed, 1);
  closed = 0;
  assert.equal(s.isSupersetOf(spy([1, 2])), true);
  assert.equal(closed, 0, 'an iterator run to its end is not closed');
  // An iterator whose next throws is not closed.
  closed = 0;
  const throwing = { size: 0, has: () => false, keys: () => ({ next() { throw new Error('next broke'); }, return() { closed++; return {}; } }) };
  assert.throws(() => s.union(throwing), /next broke/);
  assert.equal(closed, 0);
  // Byte arrays are members by content: this set's has() finds another
  // array of the same bytes. Other's has() is other's: a Set's compares
  // references, and the members come back as new Buffers.
  const bytes = new DashSet([Buffer.from('ab')]);
  assert.equal(bytes.isSupersetOf(new Set([new Uint8Array([0x61, 0x62])])), true);
  assert.equal(bytes.intersection(new Set([Buffer.from('ab'), Buffer.from('cd')])).size, 0);
  assert.deepEqual([...bytes.intersection(new Set([Buffer.from('ab')]).add(1).add(2))], []);
  assert.deepEqual([...new DashSet([Buffer.from('ab'), 1, 2]).intersection(new Set([Buffer.from('ab')]))], [Buffer.from('ab')]);
  // A value too long to be a member is not one (has() would throw a RangeError).
  const small = new DashSet(['ab', 'cd'], { maxKeyBytes: 4 });
  assert.throws(() => small.has('abcdefgh'), RangeError);
  assert.deepEqual([...small.intersection(new Set(['abcdefgh']))], []);
  assert.equal(small.isSupersetOf(new Set(['ab', 'abcdefgh'])), false);
  assert.deepEqual([...small.union(new Set(['abcdefgh']))].sort(), ['ab', 'abcdefgh', 'cd']);
  // Another DashSet is a set-like argument too, and the result is a plain, local Set.
  const u = s.union(new DashSet(['b']));
  assert.ok(u instanceof Set && !(u instanceof DashSet));
  assert.deepEqual([...u].sort(), [1, 2, 3, 'a', 'b'].sort());
});

// This set's own has compares byte arrays by content; difference (iterating
// the other set) and symmetricDifference removed members from their result
// by identity, so a byte member counted as both shared and not shared.
test('DashSet set methods: a byte member in the other set is shared in every method', () => {
  const s = new DashSet([Buffer.from('ab'), 'x']);
  const other = new Set([new Uint8Array([0x61, 0x62])]);
  const text = (v) => (typeof v === 'string' ? v : Buffer.from(v).toString());
  assert.equal(s.isDisjointFrom(other), false);
  assert.equal(s.isSupersetOf(other), true);
  assert.deepEqual([...s.intersection(other)].map(text), ['ab']);
  assert.deepEqual([...s.difference(other)], ['x'], 'difference, iterating the smaller other');
  // (With an other at least as big, the standard's steps ask other.has
  // instead, and a JS Set's has compares byte arrays by identity.)
  assert.deepEqual([...s.difference(new Set([new Uint8Array([0x61, 0x62]), 'y', 'z']))].map(text).sort(), ['ab', 'x']);
  assert.deepEqual([...s.symmetricDifference(other)], ['x']);
  const both = [...s.symmetricDifference(new Set([Buffer.from('cd')]))].map(text).sort();
  assert.deepEqual(both, ['ab', 'cd', 'x']);
});
