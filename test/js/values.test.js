'use strict';
// Values round-trip: primitives on the native path keep their exact value,
// typed arrays come back as the same kind, everything else goes through
// structured clone; get always returns a copy.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap } = require('./helpers');

const { DashMap } = threadmap;

function roundTrip(value) {
  const m = new DashMap();
  m.set('k', value);
  return m.get('k');
}

// Every way a value can come out of a map.
function allReadPaths(value) {
  const m = new DashMap();
  m.set('k', value);
  const out = {
    get: m.get('k'),
    getMany: m.getMany(['k'])[0],
    values: [...m.values()][0],
    entries: [...m.entries()][0][1],
    forEach: undefined,
    getOrInsert: m.getOrInsert('k', 'other'),
    updateArg: undefined,
    retainArg: undefined,
    take: undefined,
  };
  m.forEach((v) => { out.forEach = v; });
  m.update('k', (old) => { out.updateArg = old; return old; });
  m.retain((v) => { out.retainArg = v; return true; });
  out.take = m.take('k');
  assert.equal(m.has('k'), false);
  return out;
}

describe('numbers', () => {
  const numbers = [0, -0, 1, -1, 0.1, 1 / 3, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE,
    Number.MIN_VALUE, Number.EPSILON, 2 ** 53 + 2, -(2 ** 31), -(2 ** 31) - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1];
  for (const n of numbers) {
    test(`${Object.is(n, -0) ? '-0' : n} round-trips exactly`, () => {
      const got = roundTrip(n);
      assert.equal(typeof got, 'number');
      assert.ok(Object.is(got, n), `got ${got}`);
    });
  }

  test('-0 is preserved as a value on every read path', () => {
    for (const [path, v] of Object.entries(allReadPaths(-0))) assert.ok(Object.is(v, -0), path);
  });

  test('NaN with an unusual bit pattern is still NaN', () => {
    const odd = new Float64Array(new BigUint64Array([0xfff0_0000_dead_beefn]).buffer)[0];
    assert.ok(Number.isNaN(odd));
    assert.ok(Number.isNaN(roundTrip(odd)));
  });
});

describe('strings', () => {
  const strings = {
    empty: '',
    ascii: 'hello world',
    latin1: 'caf\u00e9 \u00ff\u00a0',
    nul: 'a\0b\0',
    utf16: 'こんにちは \u0100',
    astral: '\u{1F600}\u{10FFFF}',
    'lone high surrogate': '\ud800',
    'lone low surrogate': '\udc00',
    'reversed pair': '\udc00\ud800',
    'long latin1': 'z'.repeat(100000),
    'long utf16': '\u4e00'.repeat(50000) + '\ud800',
  };
  for (const [name, s] of Object.entries(strings)) {
    test(`${name} round-trips by code units`, () => {
      const got = roundTrip(s);
      assert.equal(typeof got, 'string');
      assert.equal(got.length, s.length);
      assert.ok(got === s);
    });
  }
  test('every read path returns the same string', () => {
    const s = 'x\ud800y\u{1F600}';
    for (const [path, v] of Object.entries(allReadPaths(s))) assert.equal(v, s, path);
  });
});

describe('bigints, booleans, null, undefined', () => {
  const bigints = [0n, -0n, 1n, -1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n),
    2n ** 1000n + 7n, -(3n ** 700n)];
  for (const b of bigints) {
    test(`bigint ${b > 1n << 70n || b < -(1n << 70n) ? `(${b.toString(16).length} hex digits)` : b}`, () => {
      const got = roundTrip(b);
      assert.equal(typeof got, 'bigint');
      assert.equal(got, b);
    });
  }

  test('booleans and null', () => {
    assert.equal(roundTrip(true), true);
    assert.equal(roundTrip(false), false);
    assert.equal(roundTrip(null), null);
  });

  test('undefined is a value: has() is true, get() is undefined', () => {
    const m = new DashMap();
    m.set('k', undefined);
    assert.equal(m.has('k'), true);
    assert.equal(m.get('k'), undefined);
    assert.equal(m.size, 1);
    assert.deepEqual([...m], [['k', undefined]]);
    assert.equal(m.delete('k'), true);
    assert.equal(m.has('k'), false);
  });

  test('null and undefined and false and 0 are distinct values', () => {
    const m = new DashMap();
    m.set('null', null).set('undef', undefined).set('false', false).set('zero', 0).set('empty', '');
    assert.equal(m.get('null'), null);
    assert.equal(m.get('undef'), undefined);
    assert.equal(m.get('false'), false);
    assert.equal(m.get('zero'), 0);
    assert.equal(m.get('empty'), '');
  });
});

describe('typed arrays come back as the same kind', () => {
  const kinds = [
    [Int8Array, [-128, 0, 127]],
    [Uint8Array, [0, 1, 255]],
    [Uint8ClampedArray, [0, 128, 255]],
    [Int16Array, [-32768, 1, 32767]],
    [Uint16Array, [0, 65535, 7]],
    [Int32Array, [-(2 ** 31), 0, 2 ** 31 - 1]],
    [Uint32Array, [0, 2 ** 32 - 1, 12345]],
    [Float32Array, [1.5, -0, Infinity]],
    [Float64Array, [Math.PI, -0, NaN]],
    [BigInt64Array, [-(2n ** 63n), 0n, 2n ** 63n - 1n]],
    [BigUint64Array, [0n, 2n ** 64n - 1n, 5n]],
  ];
  for (const [Ctor, items] of kinds) {
    test(Ctor.name, () => {
      const original = Ctor.from(items);
      const got = roundTrip(original);
      assert.equal(got.constructor, Ctor);
      assert.equal(Buffer.isBuffer(got), false);
      assert.equal(got.length, original.length);
      for (let i = 0; i < items.length; i++) assert.ok(Object.is(got[i], original[i]), `[${i}]`);
      assert.notEqual(got, original);
      assert.notEqual(got.buffer, original.buffer);
    });
    test(`${Ctor.name}: a view with an offset keeps only its own elements`, () => {
      const backing = Ctor.from([...items, ...items, ...items]);
      const view = backing.subarray(items.length, 2 * items.length);
      const got = roundTrip(view);
      assert.equal(got.constructor, Ctor);
      assert.equal(got.length, items.length);
      for (let i = 0; i < items.length; i++) assert.ok(Object.is(got[i], view[i]), `[${i}]`);
    });
    test(`${Ctor.name}: empty`, () => {
      const got = roundTrip(new Ctor(0));
      assert.equal(got.constructor, Ctor);
      assert.equal(got.length, 0);
    });
  }

  test('Buffer comes back as a Buffer, Uint8Array as a plain Uint8Array', () => {
    const buf = roundTrip(Buffer.from('héllo'));
    assert.ok(Buffer.isBuffer(buf));
    assert.equal(buf.toString(), 'héllo');
    const u8 = roundTrip(new Uint8Array([1, 2, 3]));
    assert.equal(u8.constructor, Uint8Array);
    assert.equal(Buffer.isBuffer(u8), false);
    assert.deepEqual([...u8], [1, 2, 3]);
  });

  test('a pooled Buffer (non-zero byteOffset) round-trips its own bytes', () => {
    const small = Buffer.from('abc');
    const got = roundTrip(small);
    assert.ok(Buffer.isBuffer(got));
    assert.equal(got.toString(), 'abc');
    assert.equal(got.length, 3);
  });

  test('a large typed array (1 MiB)', () => {
    const big = new Float64Array(131072).map((_, i) => i * 0.5);
    const got = roundTrip(big);
    assert.equal(got.constructor, Float64Array);
    assert.deepEqual(got, big);
  });

  test('typed arrays keep their kind on every read path', () => {
    for (const [path, v] of Object.entries(allReadPaths(new Int16Array([1, -2, 3])))) {
      assert.equal(v.constructor, Int16Array, path);
      assert.deepEqual([...v], [1, -2, 3], path);
    }
    for (const [path, v] of Object.entries(allReadPaths(Buffer.from([4, 5])))) {
      assert.ok(Buffer.isBuffer(v), path);
      assert.deepEqual([...v], [4, 5], path);
    }
  });
});

describe('structured clone values', () => {
  const cyclic = { name: 'cycle' };
  cyclic.self = cyclic;
  const cases = {
    'plain object': { a: 1, b: 'two', c: [3, 4], d: { e: null, f: undefined } },
    'empty object': {},
    array: [1, 'a', null, undefined, [2, [3]], { x: 1 }],
    'sparse array': [1, , 3], // eslint-disable-line no-sparse-arrays
    'empty array': [],
    Map: new Map([[1, 'one'], ['k', { v: [1] }], [2n, new Set([1])]]),
    Set: new Set([1, 'a', 3n, null]),
    Date: new Date(1700000000123),
    RegExp: /ab+c/gi,
    'nested with typed arrays and bigints': { bytes: new Uint8Array([1, 2]), f: new Float32Array([0.5]), n: 10n ** 30n },
    'object with -0 and NaN inside': { z: -0, n: NaN },
    'boxed primitives': [Object(1), Object('s'), Object(true)],
    ArrayBuffer: new Uint8Array([5, 6, 7]).buffer,
    DataView: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
    Error: new RangeError('bad range'),
    'deep nesting': JSON.parse('['.repeat(200) + ']'.repeat(200)),
  };
  for (const [name, value] of Object.entries(cases)) {
    test(name, () => {
      const got = roundTrip(value);
      if (value instanceof Error) {
        assert.ok(got instanceof RangeError);
        assert.equal(got.message, 'bad range');
        return;
      }
      assert.deepStrictEqual(got, value);
      if (typeof value === 'object') assert.notEqual(got, value);
    });
  }

  test('a cyclic object keeps its cycle', () => {
    const got = roundTrip(cyclic);
    assert.equal(got.name, 'cycle');
    assert.equal(got.self, got);
    assert.notEqual(got, cyclic);
  });

  test('shared references inside a value stay shared', () => {
    const inner = { n: 1 };
    const got = roundTrip({ a: inner, b: inner });
    assert.equal(got.a, got.b);
  });

  test('a class instance comes back as a plain object (structured clone)', () => {
    class Point { constructor() { this.x = 1; this.y = 2; } norm() { return 0; } }
    const got = roundTrip(new Point());
    assert.deepStrictEqual(got, { x: 1, y: 2 });
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
  });

  test('objects keep their content on every read path', () => {
    const value = { list: [1, 2, { deep: new Map([['k', 'v']]) }], when: new Date(0) };
    for (const [path, v] of Object.entries(allReadPaths(value))) assert.deepStrictEqual(v, value, path);
  });
});

describe('get returns a copy', () => {
  test('mutating a returned object does not change the map', () => {
    const m = new DashMap();
    m.set('k', { list: [1, 2], nested: { n: 1 } });
    const a = m.get('k');
    a.list.push(3);
    a.nested.n = 99;
    a.added = true;
    assert.deepStrictEqual(m.get('k'), { list: [1, 2], nested: { n: 1 } });
    assert.notEqual(m.get('k'), m.get('k'), 'each get is a new object');
  });

  test('mutating the original after set does not change the map', () => {
    const m = new DashMap();
    const original = { n: 1, arr: [1] };
    m.set('k', original);
    original.n = 2;
    original.arr.push(2);
    assert.deepStrictEqual(m.get('k'), { n: 1, arr: [1] });
  });

  test('typed arrays and Buffers are copies both ways', () => {
    const m = new DashMap();
    const original = new Int32Array([1, 2, 3]);
    const buf = Buffer.from([1, 2, 3]);
    m.set('ta', original).set('buf', buf);
    original[0] = 100;
    buf[0] = 100;
    const a = m.get('ta');
    const b = m.get('buf');
    assert.equal(a[0], 1);
    assert.equal(b[0], 1);
    a[1] = 200;
    b[1] = 200;
    assert.equal(m.get('ta')[1], 2);
    assert.equal(m.get('buf')[1], 2);
  });

  test('values read through iteration and getMany are copies too', () => {
    const m = new DashMap();
    m.set('k', { n: 1 });
    [...m.values()][0].n = 2;
    m.getMany(['k'])[0].n = 3;
    m.forEach((v) => { v.n = 4; });
    assert.deepStrictEqual(m.get('k'), { n: 1 });
  });

  test('update and retain callbacks get copies: mutating without returning changes nothing', () => {
    const m = new DashMap();
    m.set('k', { n: 1 });
    m.retain((v) => { v.n = 5; return true; });
    assert.deepStrictEqual(m.get('k'), { n: 1 });
    let stolen;
    m.update('k', (old) => { stolen = old; return { n: 2 }; });
    stolen.n = 7;
    assert.deepStrictEqual(m.get('k'), { n: 2 });
  });
});

// Objects are cloned by V8's serializer, driven from the addon (clone.cc),
// which calls back into the addon for every typed array inside a value.
describe('object values: the clone\'s callbacks', () => {
  test('an error thrown while a typed array inside a value is written reaches the caller; map unchanged', () => {
    const m = new DashMap([['k', 1]]);
    const u8 = new Uint8Array([1, 2, 3]);
    // Telling a Buffer from a Uint8Array walks the prototype chain: make it throw.
    Object.setPrototypeOf(u8, new Proxy(Uint8Array.prototype, { getPrototypeOf() { throw new RangeError('proxy says no'); } }));
    assert.throws(() => m.set('k', { u8 }), (e) => e instanceof RangeError && e.message === 'proxy says no');
    assert.throws(() => m.compareAndSet('k', 1, [u8]), RangeError);
    assert.deepEqual([...m], [['k', 1]]);
  });

  test('a view whose buffer JS detaches while the view is written is stored as it is then: empty', () => {
    const m = new DashMap();
    const u8 = new Uint8Array([1, 2, 3]);
    // The Buffer check walks the prototype chain; this trap transfers the
    // view's ArrayBuffer away (detaching it) on the way.
    Object.setPrototypeOf(u8, new Proxy(Uint8Array.prototype, {
      getPrototypeOf(target) {
        if (u8.buffer.byteLength) structuredClone(u8.buffer, { transfer: [u8.buffer] });
        return Object.getPrototypeOf(target);
      },
    }));
    m.set('k', { u8 });
    assert.equal(u8.length, 0, 'the trap detached it');
    const got = m.get('k').u8;
    assert.equal(got.constructor, Uint8Array);
    assert.equal(got.length, 0);
  });

  test('every kind of view inside an object comes back as its kind, with only its own bytes', () => {
    const m = new DashMap();
    const empty = m.nativeBytes();
    const pool = Buffer.from('pooled');  // a slice of Node's 8 KiB pool
    const value = {
      pool, u8: new Uint8Array([1, 2]), i16: new Int16Array([-2]), f64: new Float64Array([0.5]),
      big: new BigUint64Array([2n ** 64n - 1n]), clamped: new Uint8ClampedArray([300]),
      dv: new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2), sub: new Uint16Array(new ArrayBuffer(8), 2, 2),
    };
    m.set('v', value);
    const back = m.get('v');
    for (const [k, v] of Object.entries(value)) {
      assert.equal(back[k].constructor, v.constructor, k);
      assert.equal(back[k].byteLength, v.byteLength, k);
      assert.deepEqual(Buffer.from(back[k].buffer, back[k].byteOffset, back[k].byteLength),
        Buffer.from(v.buffer, v.byteOffset, v.byteLength), k);
    }
    assert.ok(Buffer.isBuffer(back.pool));
    assert.equal(back.pool.toString(), 'pooled');
    // Only the view's bytes are stored, not the pool slab behind it (8 KiB).
    assert.ok(m.nativeBytes() - empty < 4096, `${m.nativeBytes() - empty} native bytes for one small value`);
  });
});
