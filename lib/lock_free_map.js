'use strict';
// LockFreeMap and HopscotchMap: the lock-free engines (native/core
// lock_free_map.hpp, hopscotch_map.hpp). Map-like; shared between threads by
// handle, like DashMap.
//
// Reads never block. The atomic operations are optimistic (CAS loops): add,
// compareAndSet, update and retain read the value, decide, and install the
// decision only if the key still holds what they read, else decide again.
// So an update/retain callback may run more than once for one call (under
// contention from other threads); only its last run counts, and a callback
// that throws leaves its key unchanged. A callback may read its own map
// but not write it (ERR_WOULD_DEADLOCK: the write would make the callback's
// own CAS lose forever); other maps are free.
const { native } = require('./native');
const { checkOptions, integerOption, powerOfTwoOption, limitOptions } = require('./options');
const { MapCore, kNative, attachNative, attachFast, fromHandle, namedMap, constructorArgs, fillEntries } = require('./map_core');

// The largest initial table / fixed bucket count accepted: 2^26 (a table
// of 0.5 to 2 GiB; the maps grow past their capacity anyway).
const MAX_CAPACITY = 2 ** 26;
const MAX_BUCKETS = 2 ** 26;

// The common calls run on the V8-level fast path for the common key and
// value types (MapCore, lib/map_core.js); everything else is on the
// Node-API path.

class LockFreeMap extends MapCore {
  /**
   * new LockFreeMap(options?) or new LockFreeMap(entries, options?), as new Map(entries).
   * @param {Iterable<[unknown, unknown]> | {capacity?: number, buckets?: number}} [entriesOrOptions]
   * @param {{capacity?: number, buckets?: number}} [maybeOptions]
   *   capacity: expected entries (the initial table; it grows and shrinks
   *   from there). buckets: a fixed bucket count (a power of two): the
   *   table never resizes. Not both.
   */
  constructor(entriesOrOptions, maybeOptions) {
    super();
    const [entries, options] = constructorArgs(entriesOrOptions, maybeOptions, 'LockFreeMap');
    const opts = checkOptions(options, 'LockFreeMap', ['capacity', 'buckets', 'maxKeyBytes', 'maxValueBytes']);
    const capacity = opts.capacity === undefined ? 0
      : integerOption(opts.capacity, 'capacity', 'LockFreeMap', { min: 0, max: MAX_CAPACITY });
    const buckets = opts.buckets === undefined ? 0
      : powerOfTwoOption(opts.buckets, 'buckets', 'LockFreeMap', MAX_BUCKETS);
    if (opts.capacity !== undefined && opts.buckets !== undefined) {
      throw new TypeError('LockFreeMap: give capacity (a resizable table) or buckets (a fixed one), not both');
    }
    attachNative(this, new native.LockFreeMap(capacity, buckets, ...limitOptions(opts, 'LockFreeMap')));
    attachFast(this);
    fillEntries(this, entries);
  }

  /** Attaches to a map created in any thread of this process. */
  static from(handle) {
    return fromHandle(LockFreeMap, native.LockFreeMap, handle, attachFast);
  }

  /**
   * The map `name` holds in this process: made by the first call (with its
   * options), attached by every later one in any thread (which may give the
   * same options, not others). Kept alive by the name until
   * threadmap.dropName(name).
   */
  static named(name, options) {
    return namedMap(LockFreeMap, name, options);
  }

  /** The current number of buckets (a diagnostic). */
  bucketCount() { return this[kNative].bucketCount(); }
  /** Bytes of native memory the map holds (walks every entry; reclamation's garbage not counted). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  get [Symbol.toStringTag]() { return 'LockFreeMap'; }
}

class HopscotchMap extends MapCore {
  /**
   * new HopscotchMap(options?) or new HopscotchMap(entries, options?), as new Map(entries).
   * @param {Iterable<[unknown, unknown]> | {capacity?: number}} [entriesOrOptions]
   * @param {{capacity?: number}} [maybeOptions]
   *   capacity: expected entries (the initial table; it grows and shrinks
   *   from there, never below it).
   */
  constructor(entriesOrOptions, maybeOptions) {
    super();
    const [entries, options] = constructorArgs(entriesOrOptions, maybeOptions, 'HopscotchMap');
    const opts = checkOptions(options, 'HopscotchMap', ['capacity', 'maxKeyBytes', 'maxValueBytes']);
    const capacity = opts.capacity === undefined ? 0
      : integerOption(opts.capacity, 'capacity', 'HopscotchMap', { min: 0, max: MAX_CAPACITY });
    attachNative(this, new native.HopscotchMap(capacity, 0, ...limitOptions(opts, 'HopscotchMap')));
    attachFast(this);
    fillEntries(this, entries);
  }

  /** Attaches to a map created in any thread of this process. */
  static from(handle) {
    return fromHandle(HopscotchMap, native.HopscotchMap, handle, attachFast);
  }

  /**
   * The map `name` holds in this process: made by the first call (with its
   * options), attached by every later one in any thread (which may give the
   * same options, not others). Kept alive by the name until
   * threadmap.dropName(name).
   */
  static named(name, options) {
    return namedMap(HopscotchMap, name, options);
  }

  /** The current number of home buckets (a diagnostic). */
  bucketCount() { return this[kNative].bucketCount(); }
  /** Bytes of native memory the map holds (walks every entry; reclamation's garbage not counted). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  get [Symbol.toStringTag]() { return 'HopscotchMap'; }
}

module.exports = { LockFreeMap, HopscotchMap };
