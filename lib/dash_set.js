'use strict';
// DashSet: a shared set, Set-like (dashmap's DashSet): the DashMap engine
// with no values (native/addon/dash_map_wrap.hpp), with the Set API over it.
// Members are what a map's keys are (strings, numbers, bigints, booleans,
// byte arrays by content). Shared between threads by handle, like every map.
const { native, FALLBACK } = require('./native');
const { engineArgs } = require('./dash_map');
const { SharedCore, kFast, attachFast, kNative, attachNative, fromHandle, namedMap, toArray, bytesText, deleteManyOf, inspectCollection, ShardIterator, KEYS, MEMBER_PAIRS } = require('./map_core');
const { inspect } = require('node:util');

// A JS Set of copies of a DashSet's members, for the set-algebra methods,
// from which a value of the other set that is a member (by this set's own
// has: byte arrays by content) can be removed: its copy is found by content
// too (a JS Set would compare a byte array by identity).
class MemberCopies {
  constructor(members) {
    this.set = new Set(members);
    this.bytes = undefined;  // bytesText -> the copy in `set`, made on first need
  }
  remove(v) {
    if (!ArrayBuffer.isView(v)) return this.set.delete(v);
    if (this.bytes === undefined) {
      this.bytes = new Map();
      for (const m of this.set) if (ArrayBuffer.isView(m)) this.bytes.set(bytesText(m), m);
    }
    const text = bytesText(v);
    const copy = this.bytes.get(text);
    if (copy === undefined) return false;
    this.bytes.delete(text);
    return this.set.delete(copy);
  }
}

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
    if (values !== undefined && values.length > 0 && this[kFast].insertMany(values) === FALLBACK) {
      this[kNative].insertMany(values);
    }
  }

  /** Attaches to a set created in any thread of this process. */
  static from(handle) {
    return fromHandle(DashSet, native.DashSet, handle, attachFast);
  }

  get size() {
    const r = this[kFast].size();
    return r === FALLBACK ? this[kNative].size() : r;
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
  deleteMany(values) {
    return deleteManyOf(this, toArray(values, 'deleteMany: values'));
  }

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
  values() { return new ShardIterator(this[kNative], KEYS, this.constructor.name); }
  keys() { return this.values(); }
  entries() { return new ShardIterator(this[kNative], MEMBER_PAIRS, this.constructor.name); }
  [Symbol.iterator]() { return this.values(); }
  forEach(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    const n = this[kNative];
    const shards = n.shardCount();
    for (let s = 0; s < shards; s++) {
      for (const v of n.shardKeys(s, shards)) fn.call(thisArg, v, v, this);
    }
  }

  // ---- Set methods of ES2025 (Node 22's Set.prototype.union and the
  // like), each over a snapshot: `other` is anything set-like (size, has,
  // keys: a Set, a Map, another DashSet), read as the standard reads it.
  // The new sets are JS Sets, local to this thread (`new DashSet(result)`
  // shares one). This set is read as its iteration reads it (weakly
  // consistent, one shard at a time); a value of `other` that cannot be a
  // member is simply not one. Byte-array members come back as new Buffers,
  // so a result holds them by reference, as any Set holds objects.

  /** A new Set of the members of this set, then those of `other`. */
  union(other) {
    const rec = setRecord(other, 'union');
    const result = new Set(this.values());
    for (const v of otherKeys(rec)) result.add(v);
    return result;
  }

  /** A new Set of the members of this set that are in `other`. */
  intersection(other) {
    const rec = setRecord(other, 'intersection');
    const result = new Set();
    if (this.size <= rec.size) {
      for (const v of this.values()) if (rec.has(v)) result.add(v);
    } else {
      for (const v of otherKeys(rec)) if (this.#holds(v)) result.add(v);
    }
    return result;
  }

  /** A new Set of the members of this set that are not in `other`. */
  difference(other) {
    const rec = setRecord(other, 'difference');
    const result = new MemberCopies(this.values());
    if (result.set.size <= rec.size) {
      for (const v of result.set) if (rec.has(v)) result.set.delete(v);
    } else {
      for (const v of otherKeys(rec)) if (this.#holds(v)) result.remove(v);
    }
    return result.set;
  }

  /** A new Set of the values in exactly one of this set and `other`. */
  symmetricDifference(other) {
    const rec = setRecord(other, 'symmetricDifference');
    const result = new MemberCopies(this.values());
    for (const v of otherKeys(rec)) {
      if (this.#holds(v)) result.remove(v);
      else result.set.add(v);
    }
    return result.set;
  }

  /** Whether every member of this set is in `other`. */
  isSubsetOf(other) {
    const rec = setRecord(other, 'isSubsetOf');
    if (this.size > rec.size) return false;
    for (const v of this.values()) if (!rec.has(v)) return false;
    return true;
  }

  /** Whether every value of `other` is a member of this set. */
  isSupersetOf(other) {
    const rec = setRecord(other, 'isSupersetOf');
    if (this.size < rec.size) return false;
    for (const v of otherKeys(rec)) if (!this.#holds(v)) return false;  // for...of closes other's iterator
    return true;
  }

  /** Whether no member of this set is in `other`. */
  isDisjointFrom(other) {
    const rec = setRecord(other, 'isDisjointFrom');
    if (this.size <= rec.size) {
      for (const v of this.values()) if (rec.has(v)) return false;
    } else {
      for (const v of otherKeys(rec)) if (this.#holds(v)) return false;
    }
    return true;
  }

  // has(v), but false for a value that cannot be a member, where has
  // throws: one of no member type, or longer than maxKeyBytes.
  #holds(v) {
    if (!isMemberType(v)) return false;
    try {
      return this.has(v);
    } catch (e) {
      if (e instanceof RangeError && / is over the set's maxKeyBytes /.test(e.message)) return false;
      throw e;
    }
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

// Whether v is of a type a member can have (see Keys in docs/api.md); its
// size is the native call's to check.
function isMemberType(v) {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean' || v instanceof Uint8Array;
}

// GetSetRecord of ES2025: other's size (a number, not NaN, not negative),
// has and keys (functions), read once each, in that order.
function setRecord(other, method) {
  if (other === null || (typeof other !== 'object' && typeof other !== 'function')) {
    throw new TypeError(`DashSet.${method}: the argument must be a set-like object (with size, has and keys), not ${other === null ? 'null' : typeof other}`);
  }
  const rawSize = other.size;
  const numSize = +rawSize;  // ToNumber: a bigint or symbol size is a TypeError
  if (Number.isNaN(numSize)) throw new TypeError(`DashSet.${method}: the argument's size must be a number, not ${rawSize === undefined ? 'undefined' : typeof rawSize}`);
  const size = Math.trunc(numSize);
  if (size < 0) throw new RangeError(`DashSet.${method}: the argument's size must not be negative (${rawSize})`);
  const has = other.has;
  if (typeof has !== 'function') throw new TypeError(`DashSet.${method}: the argument's has must be a function`);
  const keys = other.keys;
  if (typeof keys !== 'function') throw new TypeError(`DashSet.${method}: the argument's keys must be a function`);
  return { size, has: (v) => Boolean(has.call(other, v)), keys: () => keys.call(other), method };
}

// The values of other's keys(), as the standard steps them: its iterator's
// next is read once, each result must be an object; -0 comes out as 0.
function* otherKeys(rec) {
  const it = rec.keys();
  if (it === null || (typeof it !== 'object' && typeof it !== 'function')) {
    throw new TypeError(`DashSet.${rec.method}: the argument's keys() must return an iterator object`);
  }
  const next = it.next;
  if (typeof next !== 'function') throw new TypeError(`DashSet.${rec.method}: the argument's keys() iterator has no next method`);
  for (;;) {
    // An error from the iterator itself (next, done, value) ends it as is;
    // only a stop of ours, at a yield, closes it.
    const r = next.call(it);
    if (r === null || (typeof r !== 'object' && typeof r !== 'function')) {
      throw new TypeError(`DashSet.${rec.method}: the argument's keys() iterator returned a non-object result`);
    }
    if (r.done) return;
    const v = r.value;
    let stopped = true;
    try {
      yield Object.is(v, -0) ? 0 : v;
      stopped = false;
    } finally {
      // The caller returned or threw while it held v: close other's iterator.
      if (stopped && typeof it.return === 'function') it.return();
    }
  }
}

module.exports = { DashSet };
