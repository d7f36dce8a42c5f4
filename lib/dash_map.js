'use strict';
// DashMap: the general shared map (native/core DashMap: sharded,
// reader-writer locked shards). Map-like; shared between threads by handle.
const { native, FALLBACK } = require('./native');
const { invalidHandle } = require('./errors');
const { checkOptions, integerOption, powerOfTwoOption } = require('./options');

const kNative = Symbol('threadmap.native');
const kHandle = Symbol('threadmap.handle');
const kFast = Symbol('threadmap.fast');
const MAX_SHARDS = 65536;

// Both halves are non-enumerable: the Node-API object (every method, every
// type, every error) and the V8-level fast path (hot methods, common types).
function attachNative(map, nativeMap) {
  Object.defineProperty(map, kNative, { value: nativeMap });
  Object.defineProperty(map, kFast, { value: nativeMap.fastPath() });
  return map;
}

class DashMap {
  /**
   * @param {{capacity?: number, shards?: number}} [options]
   */
  constructor(options) {
    const opts = checkOptions(options, 'DashMap', ['capacity', 'shards']);
    const capacity = opts.capacity === undefined ? 0
      : integerOption(opts.capacity, 'capacity', 'DashMap', { min: 0, max: 2 ** 32 });
    const shards = opts.shards === undefined ? 0
      : powerOfTwoOption(opts.shards, 'shards', 'DashMap', MAX_SHARDS);
    attachNative(this, new native.DashMap(capacity, shards));
  }

  /** Attaches to a map created in any thread of this process. */
  static from(handle) {
    if (!(handle instanceof SharedArrayBuffer)) {
      throw invalidHandle('DashMap.from: the handle must be the SharedArrayBuffer of a DashMap (map.handle)');
    }
    return attachNative(Object.create(DashMap.prototype), new native.DashMap(handle));
  }

  /** A SharedArrayBuffer naming this map; post it to a worker and pass it to DashMap.from. */
  get handle() {
    if (this[kHandle] === undefined) {
      Object.defineProperty(this, kHandle, { value: this[kNative].handle() });
    }
    return this[kHandle];
  }

  get size() { return this[kNative].size(); }
  get shardCount() { return this[kNative].shardCount(); }

  get(key) {
    const r = this[kFast].get(key);
    return r === FALLBACK ? this[kNative].get(key) : r;
  }
  set(key, value) {
    if (this[kFast].set(key, value) === FALLBACK) this[kNative].set(key, value);
    return this;
  }
  has(key) {
    const r = this[kFast].has(key);
    return r === FALLBACK ? this[kNative].has(key) : r;
  }
  delete(key) {
    const r = this[kFast].delete(key);
    return r === FALLBACK ? this[kNative].delete(key) : r;
  }
  clear() { this[kNative].clear(); }

  getMany(keys) { return this[kNative].getMany(toArray(keys, 'getMany: keys')); }
  setMany(entries) {
    const keys = [];
    const values = [];
    for (const entry of toArray(entries, 'setMany: entries')) {
      if (entry === null || typeof entry !== 'object' || typeof entry[Symbol.iterator] !== 'function') {
        throw new TypeError('setMany: each entry must be a [key, value] pair');
      }
      const [k, v] = entry;
      keys.push(k);
      values.push(v);
    }
    this[kNative].setMany(keys, values);
    return this;
  }
  deleteMany(keys) { return this[kNative].deleteMany(toArray(keys, 'deleteMany: keys')); }

  add(key, delta) {
    const r = this[kFast].add(key, delta);
    return r === FALLBACK ? this[kNative].add(key, delta) : r;
  }
  getOrInsert(key, value) { return this[kNative].getOrInsert(key, value); }
  compareAndSet(key, expected, value) { return this[kNative].compareAndSet(key, expected, value); }
  take(key) { return this[kNative].take(key); }
  update(key, fn) {
    if (typeof fn !== 'function') throw new TypeError('update: fn must be a function');
    return this[kNative].update(key, fn);
  }
  retain(fn) {
    if (typeof fn !== 'function') throw new TypeError('retain: fn must be a function');
    return this[kNative].retain(fn);
  }

  /** Entries per shard (a diagnostic of the key distribution). */
  shardSizes() { return this[kNative].shardSizes(); }
  /** Bytes of native memory the map holds (walks every entry). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  // Iteration is weakly consistent: it copies one shard at a time, so it sees
  // every entry present for its whole duration exactly once.
  * entries() {
    const n = this[kNative];
    const shards = n.shardCount();
    for (let s = 0; s < shards; s++) {
      const flat = n.shardEntries(s);
      for (let i = 0; i < flat.length; i += 2) yield [flat[i], flat[i + 1]];
    }
  }
  * keys() { for (const [k] of this.entries()) yield k; }
  * values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  forEach(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  get [Symbol.toStringTag]() { return 'DashMap'; }
}

function toArray(iterable, what) {
  if (Array.isArray(iterable)) return iterable;
  if (iterable === null || iterable === undefined || typeof iterable[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} must be iterable`);
  }
  return Array.from(iterable);
}

module.exports = { DashMap };
