'use strict';
// The V8-level fast path of a map object (native/addon/fast_path.hpp): the
// hot methods for the common key and value types, kept non-enumerable in
// this[kFast] beside the Node-API object. A fast method returns FALLBACK
// when it cannot serve a call (another type, an error to report, a write it
// must refuse), before the map changed, and the call is repeated on the
// Node-API path, which handles everything.
const { FALLBACK } = require('./native');
const { MapCore, kNative, kSetMany, toArray } = require('./map_core');

const kFast = Symbol('threadmap.fast');

function attachFast(map) {
  Object.defineProperty(map, kFast, { value: map[kNative].fastPath() });
}

// get, has, set, delete, add, getOrInsert, take, compareAndSet and size over
// the fast path: DashMap's, and the lock-free classes'. (LockMap's fast
// object has its own methods.)
class FastMapCore extends MapCore {
  // Each class family has its own size getter over its own fast object, so
  // that no call site sees two kinds of fast object (see ByKind in
  // native/addon/fast_path.cc).
  get size() {
    const r = this[kFast].size();
    return r === FALLBACK ? this[kNative].size() : r;
  }
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
  add(key, delta) {
    const r = this[kFast].add(key, delta);
    return r === FALLBACK ? this[kNative].add(key, delta) : r;
  }
  getOrInsert(key, value) {
    const r = this[kFast].getOrInsert(key, value);
    return r === FALLBACK ? this[kNative].getOrInsert(key, value) : r;
  }
  take(key) {
    const r = this[kFast].take(key);
    return r === FALLBACK ? this[kNative].take(key) : r;
  }
  compareAndSet(key, expected, value) {
    const r = this[kFast].compareAndSet(key, expected, value);
    return r === FALLBACK ? this[kNative].compareAndSet(key, expected, value) : r;
  }
  // setMany and deleteMany read their arrays in the fast path and encode
  // every key and value before the first change; one it does not encode
  // falls back with the map unchanged, and the full path reports it.
  [kSetMany](keys, values) {
    if (this[kFast].setMany(keys, values) === FALLBACK) this[kNative].setMany(keys, values);
  }
  deleteMany(keys) {
    const list = toArray(keys, 'deleteMany: keys');
    const r = this[kFast].deleteMany(list);
    return r === FALLBACK ? this[kNative].deleteMany(list) : r;
  }
  // One get per key, as the native getMany does (a read has no effect, so
  // an invalid key thrown midway leaves nothing half done), but over the
  // fast path: about 3x faster than the Node-API call, which reads its keys and
  // makes its array through Node-API (bench/RESULTS.md, "getMany").
  getMany(keys) {
    const list = toArray(keys, 'getMany: keys');
    const out = new Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = this.get(list[i]);
    return out;
  }
}

module.exports = { FastMapCore, kFast, attachFast };
