'use strict';
// Every bad input is a TypeError or RangeError with a clear message (or an
// error with a documented code) and leaves the map unchanged.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, snapshot } = require('./helpers');

const { DashMap, DashSet, LockMap, LruLockMap, LockFreeMap, HopscotchMap, codes } = threadmap;

// The key and value cases run on every map class.
const classes = [
  ['DashMap', () => new DashMap()],
  ['LockMap', () => new LockMap()],
  ['LruLockMap', () => new LruLockMap({ capacity: 100 })],
  ['LockFreeMap', () => new LockFreeMap()],
  ['HopscotchMap', () => new HopscotchMap()],
];

function seeded(make = () => new DashMap()) {
  const m = make();
  m.set('a', 1).set(2, { two: 2 }).set(3n, 'three').set(Buffer.from('b'), new Uint8Array([1]));
  return m;
}

function expectTypeError(fn, messagePattern, label) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TypeError, `${label}: expected a TypeError, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    assert.match(e.message, messagePattern, label);
    return true;
  });
}

for (const [className, make] of classes) {
  describe(`bad keys (${className})`, () => {
    const badKeys = {
      'plain object': {},
      array: [1],
      symbol: Symbol('k'),
      function: () => 1,
      null: null,
      undefined,
      Float64Array: new Float64Array([1]),
      Int8Array: new Int8Array([1]),
      Uint8ClampedArray: new Uint8ClampedArray([1]),
      Uint16Array: new Uint16Array([1]),
      DataView: new DataView(new ArrayBuffer(1)),
      ArrayBuffer: new ArrayBuffer(1),
      SharedArrayBuffer: new SharedArrayBuffer(1),
      Date: new Date(0),
      'boxed number': Object(1),
      'boxed string': Object('a'),
      Map: new Map(),
    };
    const ops = {
      get: (m, k) => m.get(k),
      set: (m, k) => m.set(k, 'v'),
      has: (m, k) => m.has(k),
      delete: (m, k) => m.delete(k),
      add: (m, k) => m.add(k, 1),
      getOrInsert: (m, k) => m.getOrInsert(k, 'v'),
      compareAndSet: (m, k) => m.compareAndSet(k, undefined, 'v'),
      take: (m, k) => m.take(k),
      update: (m, k) => m.update(k, () => 'v'),
      getMany: (m, k) => m.getMany(['a', k]),
      setMany: (m, k) => m.setMany([['a', 'changed'], [k, 'v']]),
      deleteMany: (m, k) => m.deleteMany(['a', k]),
    };
    for (const [kname, key] of Object.entries(badKeys)) {
      test(kname, () => {
        const m = seeded(make);
        const before = snapshot(m);
        for (const [opname, op] of Object.entries(ops)) {
          expectTypeError(() => op(m, key), /key/i, `${opname}(${kname})`);
          assert.deepStrictEqual(snapshot(m), before, `${opname}(${kname}) changed the map`);
        }
      });
    }

    test('update never calls fn for a bad key', () => {
      const m = seeded(make);
      let called = false;
      assert.throws(() => m.update({}, () => { called = true; return 1; }), TypeError);
      assert.equal(called, false);
    });

    test('a missing key argument is a TypeError', () => {
      const m = seeded(make);
      assert.throws(() => m.get(), TypeError);
      assert.throws(() => m.set(), TypeError);
      assert.throws(() => m.has(), TypeError);
      assert.equal(m.size, 4);
    });
  });

  describe(`unclonable values (${className})`, () => {
    const badValues = {
      function: () => 1,
      'async function': async () => 1,
      class: class X {},
      symbol: Symbol('v'),
      'object containing a function': { ok: 1, f() {} },
      'array containing a symbol': [1, Symbol('s')],
      'nested function': { a: { b: [{ c: () => 0 }] } },
      WeakMap: new WeakMap(),
      WeakSet: new WeakSet(),
      Promise: Promise.resolve(1),
      'Map holding a function': new Map([['f', () => 1]]),
    };
    const ops = {
      'set (absent key)': (m, v) => m.set('new', v),
      'set (existing key)': (m, v) => m.set('a', v),
      getOrInsert: (m, v) => m.getOrInsert('new', v),
      'compareAndSet value': (m, v) => m.compareAndSet('a', 1, v),
      'compareAndSet expected': (m, v) => m.compareAndSet('a', v, 'x'),
      setMany: (m, v) => m.setMany([['new', 1], ['a', v]]),
      'update result (existing key)': (m, v) => m.update('a', () => v),
      'update result (absent key)': (m, v) => m.update('new', () => v),
    };
    for (const [vname, value] of Object.entries(badValues)) {
      test(vname, () => {
        const m = seeded(make);
        const before = snapshot(m);
        for (const [opname, op] of Object.entries(ops)) {
          // update's fn returning a Promise: the async-callback error (see "async update/retain callbacks")
          const pattern = opname.startsWith('update') && value instanceof Promise ? /returned a Promise/ : /clone/i;
          expectTypeError(() => op(m, value), pattern, `${opname}(${vname})`);
          assert.deepStrictEqual(snapshot(m), before, `${opname}(${vname}) changed the map`);
        }
      });
    }

    test('a getter that throws during serialization leaves the map unchanged', () => {
      const m = seeded(make);
      const before = snapshot(m);
      const value = { get x() { throw new Error('getter boom'); } };
      assert.throws(() => m.set('a', value), /getter boom/);
      assert.throws(() => m.set('new', value), /getter boom/);
      assert.deepStrictEqual(snapshot(m), before);
    });

    test('a SharedArrayBuffer value is not silently shared', () => {
      const m = seeded(make);
      const before = snapshot(m);
      assert.throws(() => m.set('new', new SharedArrayBuffer(8)), TypeError);
      assert.deepStrictEqual(snapshot(m), before);
    });

    test('nor a view of one: a typed array, a Buffer or a DataView over shared memory, alone or inside a value', () => {
      const m = seeded(make);
      const before = snapshot(m);
      const sab = new SharedArrayBuffer(16);
      const views = {
        Int32Array: new Int32Array(sab),
        'Uint8Array (an offset part)': new Uint8Array(sab, 4, 4),
        Buffer: Buffer.from(sab),
        DataView: new DataView(sab),
        'inside an object': { frame: new Float64Array(sab) },
        'inside an array': [1, new Uint8Array(sab)],
      };
      for (const [vname, view] of Object.entries(views)) {
        for (const [opname, op] of Object.entries(ops)) {
          expectTypeError(() => op(m, view), /a view of a SharedArrayBuffer cannot be stored in a map \(it would be copied, not shared\)/, `${opname}(${vname})`);
          assert.deepStrictEqual(snapshot(m), before, `${opname}(${vname}) changed the map`);
        }
      }
      // A copy of its contents is a value like any other; a key over shared
      // memory is fine (keys are compared, and stored, by content).
      m.set('copy', new Int32Array(new Int32Array(sab)));
      assert.deepStrictEqual(m.get('copy'), new Int32Array(4));
      m.set(new Uint8Array(sab, 0, 2), 'by content');
      assert.equal(m.get(Buffer.from([0, 0])), 'by content');
    });
  });
}

describe('options', () => {
  const cases = [
    [{ shards: 0 }, RangeError, /shards/],
    [{ shards: 3 }, RangeError, /shards.*power of two/],
    [{ shards: 2 ** 30 }, RangeError, /shards/],
    [{ shards: 131072 }, RangeError, /shards/],
    [{ shards: -1 }, RangeError, /shards/],
    [{ shards: 1.5 }, RangeError, /shards/],
    [{ shards: NaN }, RangeError, /shards/],
    [{ shards: Infinity }, RangeError, /shards/],
    [{ shards: '4' }, TypeError, /shards/],
    [{ shards: 4n }, TypeError, /shards/],
    [{ shards: null }, TypeError, /shards/],
    [{ capacity: -1 }, RangeError, /capacity/],
    [{ capacity: 1.5 }, RangeError, /capacity/],
    [{ capacity: NaN }, RangeError, /capacity/],
    [{ capacity: 2 ** 33 }, RangeError, /capacity/],
    [{ capacity: '10' }, TypeError, /capacity/],
    [{ capcity: 10 }, TypeError, /unknown option "capcity"/],
    [{ shards: 4, extra: true }, TypeError, /unknown option "extra"/],
    [null, TypeError, /options/],
    [5, TypeError, /options/],
    ['shards', TypeError, /options/],
    [() => ({ shards: 2 }), TypeError, /options/],
    [Symbol('options'), TypeError, /options/],
  ];
  for (const [options, Ctor, pattern] of cases) {
    test(`${Ctor.name} for ${typeof options === 'object' && options !== null ? JSON.stringify(options, (k, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v)) : String(options)}`, () => {
      const live = threadmap.liveMaps();
      assert.throws(() => new DashMap(options), (e) => {
        assert.equal(e.constructor, Ctor, `${e.constructor.name}: ${e.message}`);
        assert.match(e.message, pattern);
        return true;
      });
      assert.ok(threadmap.liveMaps() <= live, 'no map was created');
    });
  }

  test('a Map or Set where options go is refused, not read as "no options"', async () => {
    const isIterableOptions = (e) => e instanceof TypeError && /options must be a plain object, not an iterable \((Map|Set)\)/.test(e.message);
    const live = threadmap.liveMaps();
    assert.throws(() => new DashMap([], new Map([['shards', 2]])), isIterableOptions, 'constructor, after entries');
    assert.throws(() => new LruLockMap([], new Map([['capacity', 2]])), isIterableOptions, 'LruLockMap constructor');
    assert.ok(threadmap.liveMaps() <= live, 'no map was created');
    const l = new LockMap();
    assert.throws(() => l.lock('k', new Map([['timeout', 5]])), isIterableOptions, 'lock');
    assert.throws(() => l.batchLock(['k'], new Set()), isIterableOptions, 'batchLock');
    await assert.rejects(l.lockAsync('k', new Map()), isIterableOptions, 'lockAsync');
    const lru = new LruLockMap({ capacity: 2 });
    assert.throws(() => lru.set('k', 1, new Map([['ttl', 5]])), isIterableOptions, 'LruLockMap set');
    assert.equal(lru.has('k'), false);
    assert.equal(l.tryLock('k').release(), undefined, 'no lock was left held');
  });

  test('valid options work', () => {
    for (const options of [undefined, {}, { shards: 1 }, { shards: 2 }, { shards: 65536 }, { capacity: 0 },
      { capacity: 1000, shards: 8 }, { shards: undefined, capacity: undefined }]) {
      const m = new DashMap(options);
      m.set('k', 1);
      assert.equal(m.get('k'), 1);
      if (options && options.shards) assert.equal(m.shardCount, options.shards);
    }
  });
});

describe('DashMap.from: invalid handles', () => {
  function expectInvalidHandle(arg, label) {
    assert.throws(() => DashMap.from(arg), (e) => {
      assert.ok(e instanceof TypeError, `${label}: ${e && e.constructor.name}`);
      assert.equal(e.code, 'ERR_INVALID_HANDLE', label);
      assert.equal(e.code, codes.ERR_INVALID_HANDLE);
      assert.match(e.message, /handle/, label);
      return true;
    });
  }

  test('a plain new SharedArrayBuffer(16)', () => {
    expectInvalidHandle(new SharedArrayBuffer(16), 'new SAB(16)');
    expectInvalidHandle(new SharedArrayBuffer(0), 'new SAB(0)');
    expectInvalidHandle(new SharedArrayBuffer(1024), 'new SAB(1024)');
  });

  test('a copy of a real handle\'s bytes', () => {
    const m = new DashMap();
    m.set('secret', 1);
    const real = m.handle;
    const copy = new SharedArrayBuffer(real.byteLength);
    new Uint8Array(copy).set(new Uint8Array(real));
    expectInvalidHandle(copy, 'byte copy');
    expectInvalidHandle(real.slice(0), 'slice');
    // Scribbling into the real handle does not break it (its bytes mean nothing).
    new Uint8Array(real).fill(0xff);
    assert.equal(DashMap.from(real).get('secret'), 1);
  });

  test('an ArrayBuffer, a view of a handle, a number, undefined, null, an object', () => {
    const m = new DashMap();
    expectInvalidHandle(new ArrayBuffer(16), 'ArrayBuffer');
    expectInvalidHandle(new Uint8Array(m.handle), 'Uint8Array over a handle');
    expectInvalidHandle(12345, 'number');
    expectInvalidHandle(undefined, 'undefined');
    expectInvalidHandle(null, 'null');
    expectInvalidHandle({ handle: m.handle }, 'object');
    expectInvalidHandle(m, 'the map itself');
    expectInvalidHandle('handle', 'string');
  });

  // Objects that pass `instanceof SharedArrayBuffer` without being one
  // reached the native constructor, which read them as options.
  test('objects made from SharedArrayBuffer.prototype, for every class', () => {
    for (const Class of [DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap]) {
      for (const fake of [Object.create(SharedArrayBuffer.prototype), { __proto__: SharedArrayBuffer.prototype }]) {
        assert.throws(() => Class.from(fake), (e) => e instanceof TypeError && e.code === codes.ERR_INVALID_HANDLE, Class.name);
      }
    }
    expectInvalidHandle(Object.create(SharedArrayBuffer.prototype), 'fake SAB');
  });

  test('a shared WebAssembly memory buffer', () => {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expectInvalidHandle(mem.buffer, 'wasm memory');
  });

  test('a real handle attaches to the same map', () => {
    const m = new DashMap();
    const other = DashMap.from(m.handle);
    other.set('x', 1);
    assert.equal(m.get('x'), 1);
    m.set('y', 2);
    assert.equal(other.get('y'), 2);
    assert.equal(other.size, 2);
    assert.equal(m.handle, m.handle, 'the handle is cached');
    assert.equal(DashMap.from(structuredClone(m.handle)).get('x'), 1, 'a clone of the handle object shares its memory: still a handle');
    const third = DashMap.from(other.handle);
    assert.equal(third.get('x'), 1);
    assert.ok(third instanceof DashMap);
  });

  // The handle was cached by defining a property on the map, which a frozen
  // map refused (TypeError from the getter).
  test('a frozen or sealed map gives its handle, the same one each time', () => {
    for (const m of [Object.freeze(new DashMap([['x', 1]])), Object.seal(new LockMap([['x', 1]])),
      Object.preventExtensions(new threadmap.DashSet(['x']))]) {
      const h = m.handle;
      assert.equal(m.handle, h);
      assert.equal(m.constructor.from(h).has('x'), true);
    }
  });
});

// Structured clone copies own enumerable properties only, and a map's state
// is native: without its clone guard a posted map arrived as {}.
describe('a map (or a lock) given to structured clone is refused, not copied empty', () => {
  const isCloneError = (name) => (e) => {
    assert.equal(e.name, 'DataCloneError');
    assert.match(e.message, new RegExp(`a ${name} cannot be cloned or posted: post map\\.handle and call ${name}\\.from\\(handle\\)`));
    return true;
  };

  test('structuredClone, postMessage and workerData throw DataCloneError naming what to post', async () => {
    const { MessageChannel, Worker } = require('node:worker_threads');
    for (const [className, make] of classes) {
      const m = seeded(make);
      const before = snapshot(m);
      assert.throws(() => structuredClone(m), isCloneError(className), `${className}: structuredClone`);
      assert.throws(() => structuredClone({ nested: [m] }), isCloneError(className), `${className}: nested`);
      const { port1, port2 } = new MessageChannel();
      let received = 0;
      port2.on('message', () => { received++; });
      assert.throws(() => port1.postMessage({ m }), isCloneError(className), `${className}: postMessage`);
      port1.postMessage('after');  // the port still works
      await new Promise((resolve) => port2.once('message', resolve));
      assert.equal(received, 1, `${className}: only the second message arrived`);
      port1.close();
      assert.throws(() => new Worker('0', { eval: true, workerData: { m } }), isCloneError(className), `${className}: workerData`);
      assert.deepEqual(snapshot(m), before, `${className}: unchanged`);
      // The handle is what to post, and it still works after the refusals.
      assert.equal(threadmap[className].from(structuredClone(m.handle)).get('a'), 1, `${className}: from(handle)`);
      assert.ok(Object.keys(m).every((k) => k === 'uncloneable'), `${className}: one own enumerable property`);
    }
  });

  test('another map\'s set refuses a map as its value (TypeError), keeping the old value', () => {
    for (const [className, make] of classes) {
      const target = new DashMap();
      target.set('k', 1);
      expectTypeError(() => target.set('k', make()), new RegExp(`cannot be cloned.*a ${className} cannot be cloned`), className);
      expectTypeError(() => target.set('k', { inner: make() }), /cannot be cloned/, `${className} nested`);
      assert.equal(target.get('k'), 1, className);
      const lockMap = new LockMap();
      expectTypeError(() => lockMap.set('k', make()), /cannot be cloned/, `LockMap value ${className}`);
      assert.equal(lockMap.has('k'), false);
    }
  });

  test('an Entry and a BatchEntry refuse too', () => {
    const m = new LockMap();
    const e = m.lock('a');
    const b = m.batchLock(['b', 'c']);
    try {
      // Node 20 refuses an object with internal fields itself; from Node 22
      // on, the entry's own `uncloneable` symbol is what refuses.
      assert.throws(() => structuredClone(e), (err) => err.name === 'DataCloneError');
      assert.deepEqual(Object.keys(e), ['uncloneable']);
      assert.throws(() => structuredClone(b), (err) => err.name === 'DataCloneError' && /BatchEntry cannot be cloned/.test(err.message));
      assert.equal(e.released, false);
      assert.equal(b.released, false);
    } finally {
      e.release();
      b.release();
    }
  });
});

// compareAndSet compares objects with util.isDeepStrictEqual, which reads
// properties and so runs a getter defined on a built-in prototype. On the
// lock-free maps a write from there to the same map used to succeed, fail
// the CAS and run the comparison again: a livelock that never returned.
test('compareAndSet whose comparison writes its own map: ERR_WOULD_DEADLOCK, not an endless retry', () => {
  const desc = Object.getOwnPropertyDescriptor(Error.prototype, 'name');
  try {
    for (const Class of [DashMap, LockFreeMap, HopscotchMap]) {
      const m = new Class();
      m.set('k', new Error('e'));
      let calls = 0;
      let inner = false;
      const codes = [];
      Object.defineProperty(Error.prototype, 'name', {
        configurable: true,
        get() {
          if (inner) return 'Error';
          calls++;
          inner = true;
          try {
            m.set('k', new Error('e'));
          } catch (e) {
            codes.push(e.code);
          } finally {
            inner = false;
          }
          assert.ok(calls < 1000, `${Class.name}: the comparison keeps running`);
          return 'Error';
        },
      });
      assert.equal(m.compareAndSet('k', new Error('e'), 5), true, Class.name);
      Object.defineProperty(Error.prototype, 'name', desc);
      assert.ok(codes.length > 0 && codes.every((c) => c === 'ERR_WOULD_DEADLOCK'), `${Class.name}: ${codes}`);
      assert.equal(m.get('k'), 5);
    }
  } finally {
    Object.defineProperty(Error.prototype, 'name', desc);
  }
});

describe('re-entrant calls from callbacks', () => {
  const isDeadlock = (e) => e instanceof Error && e.code === 'ERR_WOULD_DEADLOCK' && /lock/.test(e.message);
  const reentrant = {
    get: (m, k) => m.get(k),
    set: (m, k) => m.set(k, 2),
    has: (m, k) => m.has(k),
    delete: (m, k) => m.delete(k),
    add: (m, k) => m.add(k, 1),
    take: (m, k) => m.take(k),
    getOrInsert: (m, k) => m.getOrInsert(k, 1),
    getOrInsertComputed: (m, k) => m.getOrInsertComputed(k, () => 1),
    compareAndSet: (m, k) => m.compareAndSet(k, 1, 2),
    update: (m, k) => m.update(k, () => 5),
    getMany: (m, k) => m.getMany([k]),
    setMany: (m, k) => m.setMany([[k, 1]]),
    deleteMany: (m, k) => m.deleteMany([k]),
    size: (m) => m.size,
    clear: (m) => m.clear(),
    iterate: (m) => [...m],
    retain: (m) => m.retain(() => true),
  };

  for (const [name, call] of Object.entries(reentrant)) {
    test(`update callback calling ${name} on the same key: ERR_WOULD_DEADLOCK, map still works`, () => {
      // One shard: every call needs the held lock first, so none can make a
      // partial change before it is refused.
      const m = new DashMap({ shards: 1 });
      m.set('k', 1).set('other', 'o');
      let inner;
      const r = m.update('k', (old) => {
        try { call(m, 'k'); } catch (e) { inner = e; }
        return old + 1;
      });
      assert.ok(inner, `${name} from inside update did not throw`);
      assert.ok(isDeadlock(inner), `${inner.code}: ${inner.message}`);
      assert.equal(r, 2);
      assert.equal(m.get('k'), 2);
      assert.equal(m.get('other'), 'o');
      assert.equal(m.size, 2);
      m.set('k', 10);
      assert.equal(m.update('k', (v) => v + 1), 11);
    });
  }

  test('an uncaught ERR_WOULD_DEADLOCK from the callback reaches the caller; the key is unchanged', () => {
    const m = new DashMap();
    m.set('k', 1);
    assert.throws(() => m.update('k', () => m.get('k')), isDeadlock);
    assert.equal(m.get('k'), 1);
    assert.throws(() => m.update('absent', () => m.set('absent', 1)), isDeadlock);
    assert.equal(m.has('absent'), false);
  });

  test('a getter of the new value calling back into the map (run while update encodes it): ERR_WOULD_DEADLOCK', () => {
    const m = new DashMap({ shards: 1 });
    m.set('k', 1);
    const result = { get x() { return m.get('k'); } };
    assert.throws(() => m.update('k', () => result), (e) => {
      assert.equal(e.code, 'ERR_WOULD_DEADLOCK', `${e.constructor.name} without the code: ${e.message}`);
      return true;
    });
    assert.equal(m.get('k'), 1);
  });

  test('the same map through another wrapper (from(handle)) is detected too', () => {
    const m = new DashMap();
    const alias = DashMap.from(m.handle);
    m.set('k', 1);
    let inner;
    m.update('k', (v) => {
      try { alias.set('k', 5); } catch (e) { inner = e; }
      return v;
    });
    assert.ok(inner && isDeadlock(inner), inner && inner.message);
    assert.equal(m.get('k'), 1);
  });

  test('retain callback calling back into the map: ERR_WOULD_DEADLOCK, map still works', () => {
    const m = new DashMap({ shards: 4 });
    for (let i = 0; i < 10; i++) m.set(i, i);
    const errors = [];
    const removed = m.retain((v, k) => {
      try { m.get(k); } catch (e) { errors.push(e); }
      try { m.set(k, 'changed'); } catch (e) { errors.push(e); }
      return true;
    });
    assert.equal(removed, 0);
    assert.equal(errors.length, 20);
    for (const e of errors) assert.ok(isDeadlock(e), e.message);
    for (let i = 0; i < 10; i++) assert.equal(m.get(i), i);
    assert.throws(() => m.retain((v, k) => m.delete(k)), isDeadlock);
    assert.equal(m.size, 10);
    assert.equal(m.retain((v) => v % 2 === 0), 5);
  });

  test('a callback may use keys of other shards of the same map', () => {
    const m = new DashMap({ shards: 64 });
    const shardOf = (k) => {
      const before = m.shardSizes();
      m.set(k, 0);
      const after = m.shardSizes();
      m.delete(k);
      return after.findIndex((n, i) => n !== before[i]);
    };
    const home = shardOf('k');
    let away = 0;
    while (shardOf(`away${away}`) === home) away++;
    const awayKey = `away${away}`;
    m.set('k', 1).set(awayKey, 10);
    const r = m.update('k', (v) => {
      const seen = m.get(awayKey);
      m.set(awayKey, seen + 1);
      return v + seen;
    });
    assert.equal(r, 11);
    assert.equal(m.get(awayKey), 11);
  });

  test('a callback may use another map freely', () => {
    const m = new DashMap();
    const other = new DashMap();
    m.set('k', 1);
    m.update('k', (v) => { other.set('k', v); other.add('n'); return v + other.get('k'); });
    assert.equal(m.get('k'), 2);
    assert.equal(other.get('n'), 1);
    m.retain((v, k) => { other.set(k, v); return true; });
    assert.equal(other.get('k'), 2);
  });
});

// A string or a byte array is iterable, but it is one key: as a list of
// keys it would be its characters or bytes (deleteMany('ab') deleted 'a'
// and 'b').
describe('a single key where a list goes', () => {
  for (const [className, make] of classes) {
    test(className, async () => {
      const m = make();
      m.set('a', 1).set('b', 2).set('ab', 3).set(97, 4).set(98, 5);
      const before = snapshot(m);
      const calls = {
        getMany: (arg) => m.getMany(arg),
        deleteMany: (arg) => m.deleteMany(arg),
        setMany: (arg) => m.setMany(arg),
      };
      if (typeof m.batchLock === 'function') {
        calls.batchLock = (arg) => m.batchLock(arg);
        await assert.rejects(m.batchLockAsync('ab'), /^TypeError: batchLockAsync: keys must be an array or other iterable, not a string/);
        await assert.rejects(m.batchLockAsync(Buffer.from('ab')), /not a byte array/);
      }
      for (const [name, call] of Object.entries(calls)) {
        for (const [label, arg] of [['string', 'ab'], ['byte array', Buffer.from('ab')], ['Uint8Array', new Uint8Array([97, 98])]]) {
          const kind = label === 'string' ? 'a string' : 'a byte array';
          const hint = name === 'setMany' ? '' : ', which is a single key \\(wrap it: \\[key\\]\\)';
          expectTypeError(() => call(arg), new RegExp(`^${name}: (keys|entries) must be an array or other iterable, not ${kind}${hint}$`), `${name}(${label})`);
        }
      }
      assert.deepStrictEqual(snapshot(m), before);
      assert.deepEqual(m.getMany(['ab', Buffer.from('ab')]), [3, undefined], 'wrapped, they are keys');
    });
  }
});

describe('non-function callbacks', () => {
  for (const bad of [undefined, null, 1, 'fn', {}, [], Symbol('f')]) {
    const label = typeof bad === 'symbol' ? 'symbol' : JSON.stringify(bad) ?? String(bad);
    test(`update/retain/forEach with ${label}`, () => {
      const m = seeded();
      const before = snapshot(m);
      expectTypeError(() => m.update('a', bad), /function/, 'update');
      expectTypeError(() => m.update('new', bad), /function/, 'update absent');
      expectTypeError(() => m.retain(bad), /function/, 'retain');
      expectTypeError(() => m.forEach(bad), /function/, 'forEach');
      assert.deepStrictEqual(snapshot(m), before);
    });
  }
});

// update and retain run their callback synchronously: an async one returns
// a Promise, which retain took as true (keeping every entry, whatever the
// promise would have said) and update refused as an uncloneable value
// without naming the mistake.
describe('async update/retain callbacks', () => {
  for (const [className, make] of classes) {
    test(className, async () => {
      const m = seeded(make);
      const before = snapshot(m);
      const ran = [];
      const isAsyncError = (what) => new RegExp(`^${what}: fn returned a Promise \\(an async function\\?\\)`);
      expectTypeError(() => m.update('a', async (v) => { ran.push(v); return v + 1; }), isAsyncError('update'), 'update');
      expectTypeError(() => m.update('new', async () => 1), isAsyncError('update'), 'update absent');
      expectTypeError(() => m.update('a', () => Promise.resolve(2)), isAsyncError('update'), 'update returning a promise');
      expectTypeError(() => m.retain(async () => false), isAsyncError('retain'), 'retain');
      assert.deepStrictEqual(snapshot(m), before, 'unchanged');
      assert.deepEqual(ran, [1], 'the callback ran once: the error came from its result');
      // A plain object with a then method is a value like any other.
      m.update('a', () => ({ then: 1 }));
      assert.deepEqual(m.get('a'), { then: 1 });
    });
  }
});

describe('size limits: maxKeyBytes and maxValueBytes', () => {
  const all = [
    ['DashMap', (o) => new DashMap(o)],
    ['LockMap', (o) => new LockMap(o)],
    ['LruLockMap', (o) => new LruLockMap({ capacity: 100, ...o })],
    ['LockFreeMap', (o) => new threadmap.LockFreeMap(o)],
    ['HopscotchMap', (o) => new threadmap.HopscotchMap(o)],
  ];
  for (const [className, make] of all) {
    test(`${className}: defaults are 64 KiB per key (a 1 MB key is a RangeError) and 64 MiB per value`, () => {
      const m = make();
      const edge = 'k'.repeat(64 * 1024);
      m.set(edge, 1);
      assert.equal(m.get(edge), 1);
      assert.throws(() => m.set('k'.repeat(1 << 20), 1), RangeError);
      assert.throws(() => m.set('\u0100'.repeat(32 * 1024 + 1), 1), RangeError, 'two-byte strings count 2 bytes a unit');
      assert.throws(() => m.set(Buffer.alloc(64 * 1024 + 1), 1), RangeError);
      assert.throws(() => m.set('v', Buffer.alloc(64 * 2 ** 20 + 1)), RangeError);
      assert.equal(m.size, 1);
    });

    test(`${className}: configured limits apply to every method, and the map stays unchanged`, () => {
      const m = make({ maxKeyBytes: 8, maxValueBytes: 16 });
      m.set('12345678', 'x'.repeat(16));
      m.set('big', 2n ** 100n);  // 14 bytes encoded
      const before = snapshot(m);
      const longKey = '123456789';
      const bigValue = 'x'.repeat(17);
      const calls = {
        'get (long key)': () => m.get(longKey),
        'has (long key)': () => m.has(longKey),
        'set (long key)': () => m.set(longKey, 1),
        'set (big string)': () => m.set('k', bigValue),
        'set (big object)': () => m.set('k', { s: 'x'.repeat(40) }),
        'set (big bytes)': () => m.set('k', new Uint8Array(17)),
        getOrInsert: () => m.getOrInsert('k', bigValue),
        'update (big result)': () => m.update('12345678', () => bigValue),
        'setMany (one big)': () => m.setMany([['a', 1], ['b', bigValue]]),
        'getMany (one long)': () => m.getMany(['a', longKey]),
        'byte key over': () => m.set(Buffer.alloc(9), 1),
        // A bigint counter is a value like any other: its delta and its sum too.
        'add (big bigint delta, absent key)': () => m.add('k', 2n ** 300n),
        'add (sum over the limit)': () => m.add('big', 2n ** 1000n),
        'add (sum grows past the limit)': () => m.add('big', 2n ** 127n),
      };
      for (const [name, fn] of Object.entries(calls)) assert.throws(fn, RangeError, name);
      assert.deepStrictEqual(snapshot(m), before);
    });

    // A number key is 8 bytes. The fast paths (get, set, has, delete, add,
    // lock) once skipped the limit for numbers, so a map could hold a key
    // that take and update then refused.
    test(`${className}: a limit under 8 bytes refuses number keys in every method; booleans (1 byte) pass`, () => {
      const m = make({ maxKeyBytes: 4 });
      m.set(true, 1);
      const before = snapshot(m);
      const calls = {
        set: () => m.set(1.5, 'x'),
        get: () => m.get(1.5),
        has: () => m.has(1.5),
        delete: () => m.delete(1.5),
        add: () => m.add(2),
        take: () => m.take(1.5),
        getOrInsert: () => m.getOrInsert(1.5, 1),
        getMany: () => m.getMany([1.5]),
        ...(m.tryLock ? { tryLock: () => m.tryLock(1.5), lock: () => m.lock(1.5) } : {}),
      };
      for (const [name, fn] of Object.entries(calls)) assert.throws(fn, RangeError, name);
      assert.deepStrictEqual(snapshot(m), before);
      assert.equal(m.get(true), 1);
    });

    test(`${className}: bad limit options`, () => {
      for (const [opts, Err] of [
        [{ maxKeyBytes: 0 }, RangeError], [{ maxKeyBytes: -1 }, RangeError], [{ maxKeyBytes: 1.5 }, RangeError],
        [{ maxKeyBytes: 2 ** 31 }, RangeError], [{ maxValueBytes: 0 }, RangeError], [{ maxValueBytes: 2 ** 32 }, RangeError],
        [{ maxKeyBytes: '8' }, TypeError], [{ maxValueBytes: 8n }, TypeError],
      ]) assert.throws(() => make(opts), Err, JSON.stringify(opts, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
    });
  }

  test('an Entry store over maxValueBytes is a RangeError and keeps the value', () => {
    const m = new LockMap({ maxValueBytes: 4 });
    m.set('k', 'ok');
    const e = m.lock('k');
    assert.throws(() => { e.value = 'hello'; }, RangeError);
    assert.equal(e.value, 'ok');
    e.release();
  });
});

// lib/ keeps each map's fast object (native/addon/fast_path.hpp) under a
// symbol; a caller who reaches it by hand gets a fallback for what it cannot
// do, never a misread map: the lock-only methods on a DashMap's, a
// LockMap's batch writes stopped by a held key, and a setMany whose values
// array a getter grows while the keys are read.
// Telling a Buffer from a Uint8Array is an instanceof, which runs a Proxy
// prototype's getPrototypeOf trap; the bytes were located before it, so a
// trap that shrank or detached the array made the store read memory that
// was gone (a crash, or other bytes stored).
describe('a byte-array value that its own prototype shrinks while it is stored', () => {
  const all = [
    ['DashMap', () => new DashMap()], ['LockMap', () => new LockMap()],
    ['LruLockMap', () => new LruLockMap({ capacity: 8 })], ['LockFreeMap', () => new LockFreeMap()],
    ['HopscotchMap', () => new HopscotchMap()],
  ];
  for (const [className, make] of all) {
    test(`${className}: stores what is left after the trap`, () => {
      for (const how of ['resize', 'transfer']) {
        const n = 1 << 20;
        const buffer = how === 'resize' ? new ArrayBuffer(n, { maxByteLength: n }) : new ArrayBuffer(n);
        const bytes = new Uint8Array(buffer);
        bytes.fill(7);
        let fired = false;
        Object.setPrototypeOf(bytes, new Proxy(Uint8Array.prototype, {
          getPrototypeOf(target) {
            if (!fired) {
              fired = true;
              if (how === 'resize') buffer.resize(16);
              else structuredClone(buffer, { transfer: [buffer] });
            }
            return Reflect.getPrototypeOf(target);
          },
        }));
        const m = make();
        m.set('k', bytes);
        assert.ok(fired, 'the trap ran');
        const back = m.get('k');
        assert.equal(back.length, bytes.length, `${how}: the length after the trap (${bytes.length})`);
        assert.ok(back.every((b) => b === 7), `${how}: only the array's own bytes`);
      }
    });
  }

  test('a byte key of 4 GiB or more is over every maxKeyBytes (RangeError), not stored under a truncated length', (t) => {
    let huge;
    try {
      huge = new Uint8Array(2 ** 32);  // untouched pages: no memory is used unless copied
    } catch {
      t.skip('cannot allocate a 4 GiB ArrayBuffer here');
      return;
    }
    const m = new DashMap();
    assert.throws(() => m.set(huge, 1), RangeError);
    assert.equal(m.size, 0);
  });
});

describe('fast objects reached by hand', () => {
  const fastOf = (m) => m[Object.getOwnPropertySymbols(m).find((s) => s.description === 'threadmap.fast')];
  const isFallback = (r) => typeof r === 'symbol' && r.description === 'threadmap.fallback';

  // A fast object's constructor is reachable (`constructor`); an instance
  // it made had no map record, and calling its methods crashed.
  test('its constructor refuses to make one', () => {
    for (const m of [new DashMap(), new DashSet(), new LockMap(), new LockFreeMap()]) {
      const Ctor = fastOf(m).constructor;
      assert.throws(() => new Ctor(), TypeError);
      assert.throws(() => Reflect.construct(Ctor, []), TypeError);
    }
  });

  test('methods a family lacks fall back and change nothing', () => {
    const d = new DashMap([['a', 1]]);
    const fd = fastOf(d);
    for (const r of [fd.lock('a'), fd.tryLock('a'), fd.peek('a')]) assert.ok(isFallback(r));
    assert.deepStrictEqual([...d], [['a', 1]]);
  });

  // A LockMap's setMany/deleteMany write key by key while the keys are free
  // and stop at a held one, saying how far they got; lib/ gives the full
  // path only the rest (here, a key this thread holds: ERR_WOULD_DEADLOCK,
  // as the full path alone would say, after the keys before it).
  test("a LockMap's batch writes stop at a held key and say how far they got", () => {
    for (const m of [new LockMap([['x', 1], ['h', 0]]), new LruLockMap([['x', 1], ['h', 0]], { capacity: 8 })]) {
      const f = fastOf(m);
      const e = m.lock('h');
      assert.ok(isFallback(f.setMany(['h', 'y'], [1, 2])), 'the first key held: nothing written');
      assert.equal(f.setMany(['y', 'h', 'z'], [2, 3, 4]), 1);
      assert.deepStrictEqual(f.deleteMany(['x', 'absent', 'h', 'y']), [2, 1]);
      assert.equal(f.setMany(['p', 'q'], [1, 2]), undefined);
      assert.equal(f.deleteMany(['p', 'q', 'absent']), 2);
      assert.deepStrictEqual([...m].sort(), [['h', 0], ['y', 2]]);
      assert.throws(() => m.setMany([['a', 1], ['h', 2], ['b', 3]]), { code: 'ERR_WOULD_DEADLOCK' });
      assert.throws(() => m.deleteMany(['a', 'h']), { code: 'ERR_WOULD_DEADLOCK' });
      assert.deepStrictEqual([...m].sort(), [['h', 0], ['y', 2]], 'a was written, then deleted; h, b untouched');
      e.release();
      m.setMany([['a', 1], ['h', 2]]);
      assert.equal(m.deleteMany(['a', 'h', 'y', 'absent']), 3);
      assert.equal(m.size, 0);
    }
  });

  // DashMap's batch writes stop the same way at their first error (here, a
  // key in the shard the update callback holds) and say how far they got,
  // so lib/ hands the full path only the rest and no key is written twice.
  test("a DashMap's batch writes stop at an error partway and say how far they got", () => {
    const d = new DashMap({ shards: 2 });
    const f = fastOf(d);
    let other;
    let same;
    d.update('u', () => {
      for (let i = 0; i < 64 && !(other && same); i++) {
        const r = f.setMany([`k${i}`], [i]);
        if (r === undefined) other ??= `k${i}`;
        else if (isFallback(r)) same ??= `k${i}`;
      }
      assert.ok(other && same, 'keys in both shards');
      assert.equal(f.setMany([other, same, 'never'], [1, 2, 3]), 1);
      assert.deepStrictEqual(f.deleteMany([other, same, 'never']), [1, 1]);
      assert.throws(() => d.setMany([[other, 1], [same, 2]]), { code: 'ERR_WOULD_DEADLOCK' });
      assert.throws(() => d.deleteMany([other, same]), { code: 'ERR_WOULD_DEADLOCK' });
      return 0;
    });
    assert.ok(!d.has(same) && !d.has('never'));
    assert.equal(d.get('u'), 0);
    assert.equal(d.deleteMany([other, same, 'u']), 1, 'the last throwing deleteMany had removed other');
  });

  test("a DashSet's deleteMany stops at an error partway too, and lib/ finishes it", () => {
    const set = new DashSet(['u'], { shards: 2 });
    const f = fastOf(set);
    let other;
    let same;
    let calls = 0;
    set.retain(() => {
      if (calls++ > 0) return true;
      for (let i = 0; i < 64 && !(other && same); i++) {
        const r = f.deleteMany([`k${i}`]);
        if (r === 0) other ??= `k${i}`;
        else if (isFallback(r)) same ??= `k${i}`;
      }
      assert.ok(other && same, 'members in both shards');
      set.add(other);
      assert.deepStrictEqual(f.deleteMany([other, same]), [1, 1]);
      set.add(other);
      assert.throws(() => set.deleteMany([other, same]), { code: 'ERR_WOULD_DEADLOCK' });
      return true;
    });
    assert.deepStrictEqual([...set], ['u'], 'other removed by the deleteMany that then threw');
    set.add(other);
    assert.equal(set.deleteMany([other, same, 'u']), 2);
  });

  test('a setMany whose arrays change under a getter falls back with the map unchanged', () => {
    for (const m of [new DashMap(), new LockFreeMap(), new HopscotchMap()]) {
      const keys = ['a', 'b'];
      const values = [1, 2];
      Object.defineProperty(keys, 1, { get() { for (let i = 0; i < 5000; i++) values.push(i); return 'b'; } });
      assert.ok(isFallback(fastOf(m).setMany(keys, values)), m.constructor.name);
      assert.equal(m.size, 0);
    }
  });

  // update and getOrInsertComputed are the full path's bodies on every
  // class (fast_path.cc, full_body): the checks lib/ makes first are theirs too.
  test('update and getOrInsertComputed check fn and the key themselves, the map unchanged', () => {
    for (const m of [new DashMap([['a', 1]]), new LockMap([['a', 1]]), new LruLockMap([['a', 1]], { capacity: 4 }),
      new LockFreeMap([['a', 1]]), new HopscotchMap([['a', 1]])]) {
      const f = fastOf(m);
      const name = m.constructor.name;
      assert.throws(() => f.update('a', 'not a function'), { name: 'TypeError', message: /update: fn must be a function/ }, name);
      assert.throws(() => f.getOrInsertComputed('b', 7), { name: 'TypeError', message: /getOrInsertComputed: fn/ }, name);
      assert.throws(() => f.update({}, (v) => v + 1), TypeError, name);
      assert.throws(() => f.update(), TypeError, name);
      assert.deepStrictEqual([...m], [['a', 1]], name);
      assert.equal(f.update('a', (v) => v + 1), 2, name);
      assert.equal(f.getOrInsertComputed('b', () => 3), 3, name);
      assert.deepStrictEqual([...m].sort(), [['a', 2], ['b', 3]], name);
    }
  });
});
