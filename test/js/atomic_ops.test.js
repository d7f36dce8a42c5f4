'use strict';
// Atomic single-key operations (add, getOrInsert, compareAndSet, take,
// update, retain) and the multi-key calls (getMany, setMany, deleteMany).
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, snapshot } = require('./helpers');

const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap } = threadmap;

// Every case runs on each map class (their Map-like core is one contract).
const classes = [
  ['DashMap', (o) => new DashMap(o)],
  ['LockMap', (o) => new LockMap(o)],
  ['LruLockMap', (o) => new LruLockMap({ capacity: 1e6, ...o })],
  ['LockFreeMap', () => new LockFreeMap()],
  ['HopscotchMap', () => new HopscotchMap()],
];

for (const [className, make] of classes) describe(className, () => {

  describe('add', () => {
    // The full path's too (bigint, byte and long string keys take it), as
    // the fast path always did: 0 + -0 is 0.
    test('an absent key counts from 0: a -0 delta stores 0, whatever the key type', () => {
      const m = make();
      for (const key of ['s', 'long key '.repeat(4), 1n, 2 ** 40, true, Buffer.from('b')]) {
        assert.ok(Object.is(m.add(key, -0), 0), `add(${typeof key}, -0) returns 0`);
        assert.ok(Object.is(m.get(key), 0), `and stores 0 for a ${typeof key} key`);
      }
    });

    test('an absent key counts from 0; default delta is 1; returns the new value', () => {
      const m = make();
      assert.equal(m.add('c'), 1);
      assert.equal(m.add('c'), 2);
      assert.equal(m.add('c', 5), 7);
      assert.equal(m.add('c', -10), -3);
      assert.equal(m.add('c', 0.25), -2.75);
      assert.equal(m.add('c', undefined), -1.75, 'undefined delta is the default 1');
      assert.equal(m.get('c'), -1.75);
      assert.equal(m.add('d', -4), -4);
      assert.equal(m.get('d'), -4);
      assert.equal(m.size, 2);
    });

    test('add on a stored number set by set()', () => {
      const m = make();
      m.set('k', 10);
      assert.equal(m.add('k', 2 ** 53), 2 ** 53 + 10);
      m.set('z', -0);
      assert.ok(Object.is(m.add('z', 0), 0));
      m.set('inf', Infinity);
      assert.equal(m.add('inf', 1), Infinity);
    });

    test('an absent key with a bigint delta counts from 0n', () => {
      const m = make();
      const r = m.add('b', 5n);
      assert.equal(typeof r, 'bigint');
      assert.equal(r, 5n);
      assert.equal(m.add('b', -7n), -2n);
      assert.equal(m.get('b'), -2n);
      assert.equal(m.add('zero', 0n), 0n);
      assert.equal(m.has('zero'), true);
    });

    test('bigint carries across 64-bit words, both ways', () => {
      const m = make();
      const cases = [
        [2n ** 64n - 1n, 1n, 2n ** 64n],
        [2n ** 64n, -1n, 2n ** 64n - 1n],
        [2n ** 128n - 1n, 1n, 2n ** 128n],
        [2n ** 128n, -1n, 2n ** 128n - 1n],
        [2n ** 63n, 2n ** 63n, 2n ** 64n],
        [2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 65n - 2n],
        [-(2n ** 64n) + 1n, -1n, -(2n ** 64n)],
        [-(2n ** 64n), 1n, -(2n ** 64n) + 1n],
        [2n ** 192n, -(2n ** 64n), 2n ** 192n - 2n ** 64n],
      ];
      for (const [start, delta, expected] of cases) {
        m.set('k', start);
        assert.equal(m.add('k', delta), expected, `${start} + ${delta}`);
        assert.equal(m.get('k'), expected);
      }
    });

    test('bigint sign changes and exact zero', () => {
      const m = make();
      m.set('k', 5n);
      assert.equal(m.add('k', -10n), -5n);
      assert.equal(m.add('k', 5n), 0n);
      assert.equal(m.add('k', -1n), -1n);
      m.set('k', -(2n ** 64n));
      assert.equal(m.add('k', 2n ** 64n + 1n), 1n);
      m.set('k', 2n ** 200n);
      assert.equal(m.add('k', -(2n ** 200n) - 1n), -1n);
      m.set('k', -(2n ** 130n) - 5n);
      assert.equal(m.add('k', 2n ** 130n + 5n), 0n);
      // 0n must be a canonical zero: adding from it works like from an absent key.
      assert.equal(m.add('k', 3n), 3n);
      assert.equal(m.add('k', 2n ** 70n), 2n ** 70n + 3n);
    });

    test('bigint add agrees with JS arithmetic on random operands', () => {
      const m = make();
      let seed = 12345;
      const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
      const randomBig = () => {
        const words = rnd() % 6;
        let v = 0n;
        for (let i = 0; i < words * 2; i++) {
          const r = rnd();
          // Bias towards all-ones and all-zeros half-words to hit carries and borrows.
          const half = r % 4 === 0 ? 0xffffffffn : r % 4 === 1 ? 0n : BigInt(rnd());
          v = (v << 32n) | half;
        }
        return rnd() % 2 ? -v : v;
      };
      for (let i = 0; i < 2000; i++) {
        const a = randomBig();
        const b = randomBig();
        m.set('k', a);
        const got = m.add('k', b);
        assert.equal(got, a + b, `${a} + ${b}`);
        assert.equal(m.get('k'), a + b);
      }
    });

    test('mixed types are a TypeError and leave the value unchanged', () => {
      const m = make();
      m.set('num', 5);
      m.set('big', 5n);
      assert.throws(() => m.add('num', 1n), TypeError);
      assert.equal(m.get('num'), 5);
      assert.throws(() => m.add('big', 1), TypeError);
      assert.throws(() => m.add('big'), TypeError, 'default delta 1 is a number');
      assert.equal(m.get('big'), 5n);
    });

    test('a non-numeric stored value is a TypeError and stays as it was', () => {
      const m = make();
      const stored = { str: 'abc', num: '5', obj: { n: 1 }, nul: null, undef: undefined, bool: true, bytes: Buffer.from([1]) };
      for (const [k, v] of Object.entries(stored)) m.set(k, v);
      const before = snapshot(m);
      for (const k of Object.keys(stored)) {
        assert.throws(() => m.add(k, 1), TypeError, k);
        assert.throws(() => m.add(k, 1n), TypeError, k);
      }
      assert.deepStrictEqual(snapshot(m), before);
    });

    test('a non-numeric delta is a TypeError; an absent key stays absent', () => {
      const m = make();
      m.set('n', 1);
      for (const bad of ['1', null, {}, [], true, Symbol('s'), () => 1, new Uint8Array(1)]) {
        assert.throws(() => m.add('n', bad), TypeError);
        assert.throws(() => m.add('absent', bad), TypeError);
      }
      assert.equal(m.get('n'), 1);
      assert.equal(m.has('absent'), false);
      assert.equal(m.size, 1);
    });
  });

  describe('getOrInsert', () => {
    test('inserts and returns v for an absent key', () => {
      const m = make();
      assert.equal(m.getOrInsert('k', 1), 1);
      assert.equal(m.get('k'), 1);
      const obj = { a: [1] };
      const got = m.getOrInsert('o', obj);
      assert.deepStrictEqual(got, obj);
      assert.notEqual(got, obj, 'returns a copy');
      assert.deepStrictEqual(m.get('o'), obj);
    });

    test('returns the existing value and does not overwrite it', () => {
      const m = make();
      m.set('k', 'first');
      assert.equal(m.getOrInsert('k', 'second'), 'first');
      assert.equal(m.get('k'), 'first');
      assert.equal(m.size, 1);
    });

    test('a key holding undefined exists: it is returned, not replaced', () => {
      const m = make();
      m.set('k', undefined);
      assert.equal(m.getOrInsert('k', 5), undefined);
      assert.equal(m.has('k'), true);
      assert.equal(m.get('k'), undefined);
    });

    test('inserting undefined makes the key exist', () => {
      const m = make();
      assert.equal(m.getOrInsert('k', undefined), undefined);
      assert.equal(m.has('k'), true);
    });

    test('typed arrays come back as their kind', () => {
      const m = make();
      const got = m.getOrInsert('k', new Uint16Array([1, 2]));
      assert.equal(got.constructor, Uint16Array);
      assert.deepEqual([...got], [1, 2]);
    });
  });

  // getOrInsertComputed(key, fn), as the TC39 upsert proposal's Map method:
  // fn(key) runs only for an absent key and its result is stored.
  describe('getOrInsertComputed', () => {
    const lockFree = className === 'LockFreeMap' || className === 'HopscotchMap';

    test('an absent key: fn(key) runs once, its result is stored and returned (a copy)', () => {
      const m = make();
      const seen = [];
      const obj = { a: [1] };
      const got = m.getOrInsertComputed('k', (k) => { seen.push(k); return obj; });
      assert.deepStrictEqual(got, obj);
      assert.notEqual(got, obj, 'returns a copy');
      assert.deepStrictEqual(m.get('k'), obj);
      assert.deepEqual(seen, ['k']);
      const bytes = Buffer.from('bk');
      assert.equal(m.getOrInsertComputed(bytes, (k) => { seen.push(k); return k.length; }), 2);
      assert.equal(seen[1], bytes, 'fn gets the key the caller passed');
      assert.equal(m.getOrInsertComputed(7, (k) => k * 2), 14);
    });

    test('a present key: its value, fn not called; undefined is a value like any other', () => {
      const m = make();
      m.set('k', 'first').set('u', undefined);
      const never = () => assert.fail('fn ran for a present key');
      assert.equal(m.getOrInsertComputed('k', never), 'first');
      assert.equal(m.getOrInsertComputed('u', never), undefined);
      assert.equal(m.getOrInsertComputed('new', () => undefined), undefined);
      assert.equal(m.has('new'), true);
      assert.equal(m.getOrInsertComputed('new', never), undefined);
      assert.equal(m.size, 3);
    });

    test('fn throwing, returning an uncloneable value or a Promise, or not a function: key stays absent', () => {
      const m = make();
      m.set('a', 1);
      const before = snapshot(m);
      assert.throws(() => m.getOrInsertComputed('k', () => { throw new Error('boom'); }), /boom/);
      assert.throws(() => m.getOrInsertComputed('k', () => () => 1), (e) => e instanceof TypeError && /cannot be cloned/.test(e.message));
      assert.throws(() => m.getOrInsertComputed('k', async () => 1), (e) => e instanceof TypeError && /^getOrInsertComputed: fn returned a Promise/.test(e.message));
      for (const bad of [undefined, 1, 'fn', {}]) {
        assert.throws(() => m.getOrInsertComputed('k', bad), (e) => e instanceof TypeError && /getOrInsertComputed: fn must be a function/.test(e.message));
      }
      assert.throws(() => m.getOrInsertComputed({}, () => 1), TypeError, 'a bad key');
      assert.deepStrictEqual(snapshot(m), before);
      assert.equal(m.getOrInsertComputed('k', () => 2), 2, 'still insertable');
    });

    if (className === 'LruLockMap') {
      test('counts in stats() as get does: a miss, then hits', () => {
        const m = make();
        m.getOrInsertComputed('k', () => 1);
        m.getOrInsertComputed('k', () => 2);
        m.getOrInsertComputed('k', () => 3);
        const { hits, misses } = m.stats();
        assert.deepEqual({ hits, misses }, { hits: 2, misses: 1 });
      });
    }

    test('what fn may do with its own map', () => {
      const m = make();
      if (className === 'DashMap') {
        // fn runs under the key's shard lock, as update's: the same shard is
        // ERR_WOULD_DEADLOCK (size walks every shard, so it meets it).
        assert.throws(() => m.getOrInsertComputed('k', () => m.size), (e) => e.code === 'ERR_WOULD_DEADLOCK');
        assert.equal(m.has('k'), false);
      } else if (lockFree) {
        // fn runs with nothing held: it may write the map, even the key itself
        // (then that value wins, as another thread's insert would).
        assert.equal(m.getOrInsertComputed('k', () => { m.set('other', 1); m.set('k', 'theirs'); return 'mine'; }), 'theirs');
        assert.equal(m.get('other'), 1);
        // From inside an update callback, it is a write like any other.
        m.set('u', 1);
        assert.throws(() => m.update('u', () => m.getOrInsertComputed('z', () => 1)), (e) => e.code === 'ERR_WOULD_DEADLOCK');
      } else {
        // LockMap: fn runs with the key's lock held (no shard lock): other
        // keys are free, the same key is ERR_WOULD_DEADLOCK.
        assert.equal(m.getOrInsertComputed('k', () => { m.set('other', 1); return m.get('other') + 1; }), 2);
        assert.throws(() => m.getOrInsertComputed('j', () => m.set('j', 1)), (e) => e.code === 'ERR_WOULD_DEADLOCK');
        assert.equal(m.has('j'), false);
      }
    });
  });

  describe('compareAndSet', () => {
    test('expected undefined means absent', () => {
      const m = make();
      assert.equal(m.compareAndSet('k', undefined, 1), true);
      assert.equal(m.get('k'), 1);
      assert.equal(m.compareAndSet('k', undefined, 2), false, 'present now');
      assert.equal(m.get('k'), 1);
    });

    test('a key holding undefined is present, so expected undefined does not match', () => {
      const m = make();
      m.set('k', undefined);
      assert.equal(m.compareAndSet('k', undefined, 1), false);
      assert.equal(m.has('k'), true);
      assert.equal(m.get('k'), undefined);
    });

    test('an absent key with a defined expected value: false, and the key stays absent', () => {
      const m = make();
      assert.equal(m.compareAndSet('k', 1, 2), false);
      assert.equal(m.compareAndSet('k', null, 2), false);
      assert.equal(m.has('k'), false);
      assert.equal(m.size, 0);
      assert.deepEqual([...m], []);
    });

    test('primitives match by SameValueZero', () => {
      const cases = [
        // [stored, expected, matches]
        [1, 1, true],
        [1, 2, false],
        [NaN, NaN, true],
        [0, -0, true],
        [-0, 0, true],
        [1, '1', false],
        [1, 1n, false],
        [1n, 1n, true],
        [2n ** 100n, 2n ** 100n, true],
        [2n ** 100n, 2n ** 100n + 1n, false],
        [-5n, 5n, false],
        ['abc', 'abc', true],
        ['abc', 'abd', false],
        ['\u0100x', '\u0100x', true],
        ['\ud800', '\udc00', false],
        ['', '', true],
        [true, true, true],
        [true, 1, false],
        [false, 0, false],
        [null, null, true],
        [null, 0, false],
        [undefined, null, false],
        [0, false, false],
      ];
      for (const [stored, expected, matches] of cases) {
        const m = make();
        m.set('k', stored);
        const label = `stored ${String(stored)} expected ${String(expected)}`;
        assert.equal(m.compareAndSet('k', expected, 'new'), matches, label);
        if (matches) assert.equal(m.get('k'), 'new', label);
        else assert.ok(Object.is(m.get('k'), stored), label);
      }
    });

    test('objects and typed arrays match by content', () => {
      const m = make();
      m.set('o', { a: 1, b: [1, 2], c: new Map([[1, 2]]) });
      assert.equal(m.compareAndSet('o', { a: 1, b: [1, 2, 3], c: new Map([[1, 2]]) }, 'x'), false);
      assert.equal(m.compareAndSet('o', { a: 2, b: [1, 2], c: new Map([[1, 2]]) }, 'x'), false);
      assert.deepStrictEqual(m.get('o'), { a: 1, b: [1, 2], c: new Map([[1, 2]]) });
      assert.equal(m.compareAndSet('o', { a: 1, b: [1, 2], c: new Map([[1, 2]]) }, 'x'), true);
      assert.equal(m.get('o'), 'x');

      m.set('t', new Float64Array([1, 2]));
      assert.equal(m.compareAndSet('t', new Float64Array([1, 3]), 'no'), false);
      assert.equal(m.compareAndSet('t', new Float32Array([1, 2]), 'no'), false, 'another kind');
      assert.equal(m.compareAndSet('t', new Float64Array([1, 2]), 'yes'), true);
      assert.equal(m.get('t'), 'yes');
    });

    test('equal content matches however V8 happens to represent the numbers inside', () => {
      // [1, 2] written as a literal has small-integer elements; the same array
      // read out of a Float64Array (or after holding a fraction) has double
      // elements. No JS code can tell them apart, so "by content" must match.
      const literal = [1, 2];
      const fromFloats = Array.from(new Float64Array([1, 2]));
      const reassigned = [1.5, 2];
      reassigned[0] = 1;
      assert.deepStrictEqual(fromFloats, literal);
      assert.deepStrictEqual(reassigned, literal);

      const m = make();
      m.set('a', literal);
      assert.equal(m.compareAndSet('a', fromFloats, 'swapped'), true, 'stored [1, 2] vs expected Array.from(Float64Array [1, 2])');
      m.set('b', fromFloats);
      assert.equal(m.compareAndSet('b', [1, 2], 'swapped'), true, 'stored Array.from(Float64Array [1, 2]) vs expected [1, 2]');
      m.set('c', { list: [1, 2] });
      assert.equal(m.compareAndSet('c', { list: reassigned }, 'swapped'), true, 'nested');
    });

    test('the new value can be any value, including an object and undefined', () => {
      const m = make();
      m.set('k', 1);
      assert.equal(m.compareAndSet('k', 1, { deep: [1] }), true);
      assert.deepStrictEqual(m.get('k'), { deep: [1] });
      assert.equal(m.compareAndSet('k', { deep: [1] }, undefined), true);
      assert.equal(m.has('k'), true, 'undefined is stored, not a delete');
      assert.equal(m.get('k'), undefined);
    });
  });

  describe('take', () => {
    test('removes and returns the value', () => {
      const m = make();
      m.set('k', { v: [1, 2] }).set('other', 1);
      assert.deepStrictEqual(m.take('k'), { v: [1, 2] });
      assert.equal(m.has('k'), false);
      assert.equal(m.size, 1);
      assert.equal(m.take('k'), undefined);
      assert.equal(m.size, 1);
    });

    test('an absent key: undefined, nothing changes', () => {
      const m = make();
      m.set('a', 1);
      assert.equal(m.take('b'), undefined);
      assert.deepEqual([...m], [['a', 1]]);
    });

    test('a key holding undefined is removed too', () => {
      const m = make();
      m.set('k', undefined);
      assert.equal(m.take('k'), undefined);
      assert.equal(m.has('k'), false);
      assert.equal(m.size, 0);
    });

    test('take keeps typed array kinds and bigints', () => {
      const m = make();
      m.set('b', Buffer.from('x')).set('n', -(2n ** 99n));
      const b = m.take('b');
      assert.ok(Buffer.isBuffer(b));
      assert.equal(b.toString(), 'x');
      assert.equal(m.take('n'), -(2n ** 99n));
      assert.equal(m.size, 0);
    });
  });

  describe('update', () => {
    test('fn receives undefined for an absent key; its result is stored and returned', () => {
      const m = make();
      const calls = [];
      const r = m.update('k', (...args) => { calls.push(args); return 1; });
      assert.deepEqual(calls, [[undefined]]);
      assert.equal(r, 1);
      assert.equal(m.get('k'), 1);
    });

    test('fn receives the current value and is called once', () => {
      const m = make();
      m.set('k', { n: 1 });
      let calls = 0;
      const r = m.update('k', (old) => { calls++; old.n += 1; return old; });
      assert.equal(calls, 1);
      assert.deepStrictEqual(r, { n: 2 });
      assert.deepStrictEqual(m.get('k'), { n: 2 });
      assert.equal(m.update('k', (old) => old.n * 10), 20);
      assert.equal(m.get('k'), 20);
    });

    test('returning undefined deletes the key', () => {
      const m = make();
      m.set('k', 1).set('other', 2);
      assert.equal(m.update('k', () => undefined), undefined);
      assert.equal(m.has('k'), false);
      assert.equal(m.size, 1);
      assert.equal(m.update('absent', () => undefined), undefined);
      assert.equal(m.has('absent'), false);
      assert.equal(m.size, 1);
    });

    test('a throwing fn leaves the key unchanged and the error reaches the caller', () => {
      const m = make();
      m.set('k', { n: 1 });
      const boom = new Error('boom');
      assert.throws(() => m.update('k', (old) => { old.n = 2; throw boom; }), (e) => e === boom);
      assert.deepStrictEqual(m.get('k'), { n: 1 });
      assert.throws(() => m.update('absent', () => { throw boom; }), (e) => e === boom);
      assert.equal(m.has('absent'), false);
      assert.equal(m.size, 1);
      // Non-Error throwables pass through as well.
      assert.throws(() => m.update('k', () => { throw 42; }), (e) => e === 42);
      // The key's lock was released: the map still works, on the same key too.
      m.set('k', 3);
      assert.equal(m.update('k', (v) => v + 1), 4);
      assert.equal(m.get('k'), 4);
    });

    test('fn returning an unclonable value: TypeError, key unchanged', () => {
      const m = make();
      m.set('k', 1);
      assert.throws(() => m.update('k', () => () => 1), TypeError);
      assert.throws(() => m.update('k', () => ({ f() {} })), TypeError);
      assert.throws(() => m.update('k', () => Symbol('s')), TypeError);
      assert.throws(() => m.update('absent', () => new WeakMap()), TypeError);
      assert.equal(m.get('k'), 1);
      assert.equal(m.has('absent'), false);
      assert.equal(m.size, 1);
    });

    test('update can change the type of a value', () => {
      const m = make();
      m.set('k', 1);
      assert.equal(m.update('k', (v) => BigInt(v) * 2n ** 80n), 2n ** 80n);
      const bytes = m.update('k', () => new Int8Array([-1]));
      assert.equal(bytes.constructor, Int8Array);
      assert.equal(m.get('k').constructor, Int8Array);
    });
  });

  describe('retain', () => {
    test('keeps entries where fn(value, key) is truthy; returns the number removed', () => {
      const m = make();
      for (let i = 0; i < 100; i++) m.set(i, { i });
      const seen = new Map();
      const removed = m.retain((v, k) => {
        seen.set(k, v);
        return k % 3 === 0 ? 'yes' : k % 3 === 1 ? 1 : 0;
      });
      assert.equal(removed, 33);
      assert.equal(m.size, 67);
      assert.equal(seen.size, 100, 'called once per entry');
      for (const [k, v] of seen) assert.deepStrictEqual(v, { i: k });
      for (let i = 0; i < 100; i++) assert.equal(m.has(i), i % 3 !== 2);
    });

    test('retain(() => true) removes nothing; retain(() => false) empties the map', () => {
      const m = make();
      for (let i = 0; i < 50; i++) m.set(`k${i}`, i);
      assert.equal(m.retain(() => true), 0);
      assert.equal(m.size, 50);
      assert.equal(m.retain(() => false), 50);
      assert.equal(m.size, 0);
      assert.equal(m.retain(() => false), 0);
    });

    test('keys reach fn with their types (byte keys as Buffers)', () => {
      const m = make();
      m.set(Buffer.from([1]), 'b').set(2n, 'n').set(false, 'f').set('s', 's');
      const types = [];
      m.retain((v, k) => { types.push(Buffer.isBuffer(k) ? 'buffer' : typeof k); return true; });
      assert.deepEqual(types.sort(), ['bigint', 'boolean', 'buffer', 'string']);
    });

    test('a throwing callback propagates and the map still works', () => {
      const m = make();
      for (let i = 0; i < 20; i++) m.set(i, i);
      const boom = new Error('retain boom');
      assert.throws(() => m.retain(() => { throw boom; }), (e) => e === boom);
      assert.equal(m.size, 20, 'the first call threw: nothing was removed');
      let calls = 0;
      assert.throws(() => m.retain((v) => {
        if (++calls === 10) throw boom;
        return v % 2 === 0;
      }), (e) => e === boom);
      const left = m.size;
      assert.ok(left <= 20 && left >= 11, `removals before the throw stand (size ${left})`);
      for (let i = 0; i < 20; i += 2) assert.equal(m.get(i), i, 'kept entries untouched');
      assert.equal([...m].length, left, 'size agrees with the entries after a throw mid-shard');
      if (m.shardSizes) assert.equal(m.shardSizes().reduce((a, b) => a + b, 0), left);
      // Every shard lock was released.
      m.set(100, 'x');
      assert.equal(m.get(100), 'x');
      assert.equal(m.retain(() => true), 0);
      assert.equal(m.update(100, () => 'y'), 'y');
    });
  });

  describe('getMany', () => {
    test('returns values in the order of the keys, undefined for missing', () => {
      const m = make();
      m.set('a', 1).set(2, 'two').set(3n, { three: 3 }).set(Buffer.from('b'), [4]);
      assert.deepStrictEqual(
        m.getMany(['missing', 3n, 'a', Buffer.from('b'), 2, 'a', 'missing2']),
        [undefined, { three: 3 }, 1, [4], 'two', 1, undefined],
      );
      assert.deepStrictEqual(m.getMany([]), []);
    });

    test('accepts any iterable of keys', () => {
      const m = make();
      m.set('a', 1).set('b', 2);
      assert.deepStrictEqual(m.getMany(new Set(['b', 'a'])), [2, 1]);
      assert.deepStrictEqual(m.getMany((function* () { yield 'a'; yield 'z'; })()), [1, undefined]);
      assert.deepStrictEqual(m.getMany(new Map([['a', 0]]).keys()), [1]);
    });

    test('a bad key anywhere is a TypeError', () => {
      const m = make();
      m.set('a', 1);
      assert.throws(() => m.getMany(['a', {}, 'b']), TypeError);
      assert.throws(() => m.getMany(null), TypeError);
      assert.throws(() => m.getMany(5), TypeError);
    });
  });

  describe('setMany', () => {
    test('sets every entry and returns this', () => {
      const m = make();
      assert.equal(m.setMany([['a', 1], [2, 'two'], [3n, { x: 1 }]]), m);
      assert.equal(m.size, 3);
      assert.deepStrictEqual(m.getMany(['a', 2, 3n]), [1, 'two', { x: 1 }]);
    });

    test('accepts a Map or any iterable of pairs; a later duplicate wins', () => {
      const m = make();
      m.setMany(new Map([['a', 1], ['b', 2]]));
      m.setMany((function* () { yield ['c', 3]; yield ['a', 10]; })());
      m.setMany([['d', 1], ['d', 2], [-0, 'z'], [0, 'zero']]);
      assert.deepStrictEqual(m.getMany(['a', 'b', 'c', 'd', 0]), [10, 2, 3, 2, 'zero']);
      assert.equal(m.size, 5);
    });

    test('a missing value in a pair stores undefined', () => {
      const m = make();
      m.setMany([['only-key']]);
      assert.equal(m.has('only-key'), true);
      assert.equal(m.get('only-key'), undefined);
    });

    test('validates every entry before changing any', () => {
      const m = make();
      m.set('keep', 'old').set('other', 1);
      const before = snapshot(m);
      const bad = [
        ['bad key in the middle', [['keep', 'new'], ['x', 1], [{}, 2], ['y', 3]]],
        ['symbol key last', [['keep', 'new'], [Symbol('s'), 1]]],
        ['null key first', [[null, 1], ['keep', 'new']]],
        ['unclonable value in the middle', [['keep', 'new'], ['x', () => 1], ['y', 3]]],
        ['object holding a function', [['keep', 'new'], ['x', { f() {} }], ['y', 3]]],
        ['WeakMap value last', [['keep', 'new'], ['x', 1], ['y', new WeakMap()]]],
        ['symbol value', [['keep', 'new'], ['x', Symbol('v')]]],
        ['an entry that is not a pair', [['keep', 'new'], 5, ['y', 3]]],
        ['a null entry', [['keep', 'new'], null]],
      ];
      for (const [name, entries] of bad) {
        assert.throws(() => m.setMany(entries), TypeError, name);
        assert.deepStrictEqual(snapshot(m), before, name);
      }
      assert.throws(() => m.setMany(null), TypeError);
      assert.throws(() => m.setMany(42), TypeError);
      assert.deepStrictEqual(snapshot(m), before);
    });

    test('a large batch', () => {
      const m = make();
      const entries = Array.from({ length: 10000 }, (_, i) => [i, `v${i}`]);
      m.setMany(entries);
      assert.equal(m.size, 10000);
      assert.equal(m.get(9999), 'v9999');
    });
  });

  describe('deleteMany', () => {
    test('returns how many keys it removed', () => {
      const m = make();
      m.setMany([['a', 1], ['b', 2], ['c', 3], [1n, 4]]);
      assert.equal(m.deleteMany(['a', 'missing', 1n, 'a']), 2, 'a duplicate counts once');
      assert.equal(m.size, 2);
      assert.deepStrictEqual(m.getMany(['a', 'b', 'c', 1n]), [undefined, 2, 3, undefined]);
      assert.equal(m.deleteMany([]), 0);
      assert.equal(m.deleteMany(new Set(['b', 'c'])), 2);
      assert.equal(m.size, 0);
    });

    test('a bad key anywhere: TypeError, nothing removed', () => {
      const m = make();
      m.setMany([['a', 1], ['b', 2]]);
      const before = snapshot(m);
      assert.throws(() => m.deleteMany(['a', {}, 'b']), TypeError);
      assert.throws(() => m.deleteMany(['a', undefined]), TypeError);
      assert.throws(() => m.deleteMany(null), TypeError);
      assert.deepStrictEqual(snapshot(m), before);
    });
  });
});
