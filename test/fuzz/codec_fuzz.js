'use strict';
// The key/value codec's fuzz target (issue 5, part 2). The codec turns V8
// values into native keys and values and back (native/addon/codec.cc), so
// it is fuzzed in process, from JS: random keys and structured-clonable
// values (nested objects and arrays, strings with lone surrogates and
// two-byte units, -0, NaN, bigints of any size, typed arrays of every kind,
// Dates, Maps, Sets, RegExps, errors) go through set/get, getOrInsert,
// iteration, update and compareAndSet on every map class (keys also as a
// DashSet's members), and must come back equal
// (decode(encode(x)) == x, as structured clone defines it); random values
// that cannot be cloned must be a TypeError that leaves the map unchanged.
// A mismatch throws (exit code 1) with the seed and step to replay it.
//
//   node test/fuzz/codec_fuzz.js [--seconds=60] [--seed=N]
const assert = require('node:assert/strict');
const util = require('node:util');
const path = require('node:path');
const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, DashSet } = require(path.join(__dirname, '..', '..'));

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const seconds = arg('seconds', 60);
const seed = arg('seed', Date.now() % 2 ** 31);

let s = seed >>> 0;
const rnd = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

function randString() {
  const len = pick([0, 1, 2, 7, 13, 14, 15, 16, 40, 300]);
  let out = '';
  for (let i = 0; i < len; i++) {
    out += String.fromCharCode(pick([
      () => 0x20 + int(95), () => int(256), () => 0xd800 + int(0x800), () => int(0x10000), () => 0,
    ])());
  }
  return out;
}
function randNumber() {
  return pick([0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, 2 ** 53, -(2 ** 53) - 2, Number.MIN_VALUE, Number.MAX_VALUE,
    rnd() * 1e6, -rnd(), int(1000)]);
}
function randBigInt() {
  let b = 0n;
  const words = int(6);
  for (let i = 0; i < words; i++) b = (b << 32n) | BigInt(int(2 ** 32));
  return rnd() < 0.5 ? -b : b;
}
function randBytes() {
  const n = pick([0, 1, 5, 14, 15, 64, 1000]);
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = int(256);
  return u;
}
const typedKinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array];

function randKey() {
  switch (int(6)) {
    case 0: return randString();
    case 1: return randNumber();
    case 2: return randBigInt();
    case 3: return rnd() < 0.5;
    case 4: return Buffer.from(randBytes());
    default: return randBytes();
  }
}

function randValue(depth = 0) {
  const leaf = depth > 3 || rnd() < 0.5;
  if (leaf) {
    switch (int(8)) {
      case 0: return randString();
      case 1: return randNumber();
      case 2: return randBigInt();
      case 3: return pick([true, false, null, undefined]);
      case 4: {
        const T = pick(typedKinds);
        const n = int(6);
        const t = new T(n);
        for (let i = 0; i < n; i++) t[i] = T === BigInt64Array || T === BigUint64Array ? BigInt(int(1e6)) : int(200) - 50;
        return t;
      }
      case 5: return new Date(int(2 ** 40));
      case 6: return randBytes();
      default: return pick([/a+b/gi, new Error('e' + int(9)), new RangeError('r')]);
    }
  }
  switch (int(4)) {
    case 0: return Array.from({ length: int(5) }, () => randValue(depth + 1));
    case 1: {
      const o = {};
      for (let i = int(5); i > 0; i--) o[randString()] = randValue(depth + 1);
      return o;
    }
    case 2: return new Map(Array.from({ length: int(4) }, () => [randValue(depth + 1), randValue(depth + 1)]));
    default: return new Set(Array.from({ length: int(4) }, () => randValue(depth + 1)));
  }
}

function randUnclonable() {
  return pick([() => 1, Symbol('s'), { f() {} }, [1, Symbol('x')], new WeakMap(), { deep: { deeper: [() => 0] } }]);
}

// What a map must give back: structured clone's copy, with Buffers as plain
// Uint8Arrays (a Buffer value is stored as bytes) and Errors compared by
// name and message (their stacks are cloned too, but not deep-equal-able).
function expected(v) {
  return structuredClone(v);
}
function sameKey(a, b) {
  if (ArrayBuffer.isView(a)) return Buffer.isBuffer(b) && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), b) === 0;
  return Object.is(a, -0) ? b === 0 : Object.is(a, b);
}
function equalValues(got, want) {
  if (want instanceof Error) return got instanceof Error && got.name === want.name && got.message === want.message;
  if (Buffer.isBuffer(want)) return got instanceof Uint8Array && Buffer.compare(Buffer.from(got), want) === 0;
  return util.isDeepStrictEqual(got, want);
}

const maps = [new DashMap({ shards: 4 }), new LockMap({ shards: 4 }), new LruLockMap({ capacity: 1e6, shards: 4 }),
  new LockFreeMap(), new HopscotchMap()];
const members = new DashSet({ shards: 4 });
const deadline = Date.now() + seconds * 1000;
let step = 0;
let executions = 0;
const kinds = new Set();
try {
  while (Date.now() < deadline) {
    for (let i = 0; i < 200; i++, step++) {
      const m = maps[step % maps.length];
      const k = randKey();
      if (rnd() < 0.1) {
        const before = m.size;
        const had = m.has(k);
        assert.throws(() => m.set(k, randUnclonable()), TypeError);
        assert.equal(m.size, before);
        assert.equal(m.has(k), had);
        executions++;
        continue;
      }
      const v = randValue();
      kinds.add(Object.prototype.toString.call(v));
      m.set(k, v);
      const want = expected(v);
      assert.ok(equalValues(m.get(k), want), `get after set (${typeof k} key)`);
      assert.ok(equalValues(m.getOrInsert(k, 'other'), want), 'getOrInsert of a present key');
      // (update returning undefined deletes: an undefined value skips it)
      if (v !== undefined) assert.ok(equalValues(m.update(k, (old) => old), want), 'update(identity)');
      // compareAndSet matches primitives by SameValueZero and the rest by
      // cloned content: a clone of what was stored matches it (an expected
      // undefined means "absent").
      if (v !== undefined) assert.equal(m.compareAndSet(k, want, v), true, `${m.constructor.name}: compareAndSet(stored content, same)`);
      assert.ok(equalValues(m.get(k), want), 'get after compareAndSet');
      let seen = 0;
      for (const [kk, vv] of m.entries()) {
        if (sameKey(k, kk)) {
          seen++;
          assert.ok(equalValues(vv, want), 'value read back by iteration');
        }
      }
      assert.equal(seen, 1, 'the key read back by iteration, once');
      assert.ok(m.delete(k));
      // The same key as a DashSet's member.
      assert.equal(members.insert(k), true, 'insert of a new member');
      assert.equal(members.has(k), true, 'has after insert');
      let found = 0;
      for (const mm of members) if (sameKey(k, mm)) found++;
      assert.equal(found, 1, 'the member read back by iteration, once');
      assert.ok(members.delete(k));
      executions++;
    }
  }
} catch (err) {
  process.stderr.write(`codec fuzz: FAILED at step ${step} (replay: --seed=${seed}): ${err.stack}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ target: 'codec', seconds, seed, executions, valueKinds: kinds.size }) + '\n');
