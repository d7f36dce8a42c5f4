'use strict';
// DashSet: a shared set, Set-like (dashmap's DashSet): the DashMap engine
// with no values (native/addon/dash_map_wrap.hpp), with the Set API over it.
// Members are what a map's keys are (strings, numbers, bigints, booleans,
// byte arrays by content). Shared between threads by handle, like every map.
const { native, FALLBACK } = require('./native');
const { engineArgs } = require('./dash_map');
const { SharedCore, kNative, attachNative, fromHandle, namedMap, toArray, inspectCollection, shardKeys } = require('./map_core');
const { kFast, attachFast } = require('./fast_map');
const { inspect } = require('node:util');

class DashSet extends SharedCore {
  /**
   * new DashSet(options?) or new DashSet(values, options?), as new Set(values).
   * @param {Iterable<unknown> | {capacity?: number, shards?: number, maxKeyBytes?: number}} [valuesOrOptions]
   * @param {{capacity?: number, shards?: number, maxKeyBytes?: number}} [maybeOptions]
   */
  constructor(valuesOrOptions, maybeOptions) {
    super();
    let values;
    let options = valuesOrOptions;
    if (typeof valuesOrOptions === 'string'
        || (valuesOrOptions !== null && typeof valuesOrOptions === 'object' && typeof valuesOrOptions[Symbol.iterator] === 'function')) {
      values = toArray(valuesOrOptions, 'DashSet: values');
      options = maybeOptions;
    } else if (maybeOptions !== undefined) {
      throw new TypeError('DashSet: with two arguments the first must be an iterable of values: new DashSet(values, options)');
    }
    attachNative(this, new native.DashSet(...engineArgs(options, 'DashSet', [])));
    attachFast(this);
    // Every value is checked before the first is stored (insertMany), so a
    // bad one throws with the set still empty.
    if (values !== undefined && values.length > 0) this[kNative].insertMany(values);
  }

  /** Attaches to a set created in any thread of this process. */
  static from(handle) {
    return fromHandle(DashSet, native.DashSet, handle, attachFast);
  }

  /** The set `name` holds in this process (as DashMap.named). */
  static named(name, options) {
    return namedMap(DashSet, name, options);
  }

  /** Adds `value`; returns the set (as Set.prototype.add). */
  add(value) {
    if (this[kFast].insert(value) === FALLBACK) this[kNative].insert(value);
    return this;
  }

  /**
   * Adds `value` if it is not a member. Returns whether it was added: of
   * several threads inserting one value, exactly one gets true.
   */
  insert(value) {
    const r = this[kFast].insert(value);
    return r === FALLBACK ? this[kNative].insert(value) : r;
  }

  has(value) {
    const r = this[kFast].has(value);
    return r === FALLBACK ? this[kNative].has(value) : r;
  }

  delete(value) {
    const r = this[kFast].delete(value);
    return r === FALLBACK ? this[kNative].delete(value) : r;
  }

  /** Removes every value in `values`; returns how many were members. */
  deleteMany(values) { return this[kNative].deleteMany(toArray(values, 'deleteMany: values')); }

  /**
   * Keeps the members for which fn(value) is truthy, one shard at a time
   * under its write lock (as DashMap's retain); returns how many it removed.
   */
  retain(fn) {
    if (typeof fn !== 'function') throw new TypeError('retain: fn must be a function');
    return this[kNative].retain(fn);
  }

  // Iteration is weakly consistent, as a DashMap's: one shard's members are
  // copied at a time, so a member present for the whole iteration is seen
  // exactly once.
  values() { return shardKeys(this[kNative]); }
  keys() { return this.values(); }
  * entries() { for (const v of this.values()) yield [v, v]; }
  [Symbol.iterator]() { return this.values(); }
  forEach(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    for (const v of this.values()) fn.call(thisArg, v, v, this);
  }

  /** Members per shard (a diagnostic of the hash distribution). */
  shardSizes() { return this[kNative].shardSizes(); }
  /** Bytes of native memory the set holds (walks every member). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  get [Symbol.toStringTag]() { return 'DashSet'; }

  // As Node shows a Set: DashSet(2) { 'a', 'b' }.
  [inspect.custom](depth, options, inspectValue) {
    return inspectCollection('DashSet', this.size, this.values(), depth, options, inspectValue);
  }
}

module.exports = { DashSet };
