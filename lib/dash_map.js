'use strict';
// DashMap: the general shared map (native/core DashMap: sharded,
// reader-writer locked shards). Map-like; shared between threads by handle.
const { native } = require('./native');
const { checkOptions, integerOption, powerOfTwoOption, limitOptions } = require('./options');
const { MapCore, kNative, attachNative, attachFast, fromHandle, namedMap, constructorArgs, fillEntries } = require('./map_core');

const MAX_SHARDS = 65536;

// The native constructor's arguments (capacity, shards, maxKeyBytes,
// maxValueBytes) from the options of a DashMap or a DashSet (className),
// which takes the DashMap options but `extra`'s.
function engineArgs(options, className, extra) {
  const opts = checkOptions(options, className, ['capacity', 'shards', 'maxKeyBytes', ...extra]);
  const capacity = opts.capacity === undefined ? 0
    : integerOption(opts.capacity, 'capacity', className, { min: 0, max: 2 ** 32 });
  const shards = opts.shards === undefined ? 0
    : powerOfTwoOption(opts.shards, 'shards', className, MAX_SHARDS);
  return [capacity, shards, ...limitOptions(opts, className)];
}

// Besides the Node-API object (every method, every type, every error), a
// DashMap has a V8-level fast path for the common calls (MapCore,
// lib/map_core.js).
class DashMap extends MapCore {
  /**
   * new DashMap(options?) or new DashMap(entries, options?), as new Map(entries).
   * @param {Iterable<[unknown, unknown]> | {capacity?: number, shards?: number, maxKeyBytes?: number, maxValueBytes?: number}} [entriesOrOptions]
   * @param {{capacity?: number, shards?: number, maxKeyBytes?: number, maxValueBytes?: number}} [maybeOptions]
   */
  constructor(entriesOrOptions, maybeOptions) {
    super();
    const [entries, options] = constructorArgs(entriesOrOptions, maybeOptions, 'DashMap');
    attachNative(this, new native.DashMap(...engineArgs(options, 'DashMap', ['maxValueBytes'])));
    attachFast(this);
    fillEntries(this, entries);
  }

  /** Attaches to a map created in any thread of this process. */
  static from(handle) {
    return fromHandle(DashMap, native.DashMap, handle, attachFast);
  }

  /**
   * The map `name` holds in this process: made by the first call (with its
   * options), attached by every later one in any thread (which may give the
   * same options, not others). Kept alive by the name until
   * threadmap.dropName(name).
   */
  static named(name, options) {
    return namedMap(DashMap, name, options);
  }

  /** Entries per shard (a diagnostic of the key distribution). */
  shardSizes() { return this[kNative].shardSizes(); }
  /** Bytes of native memory the map holds (walks every entry). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  get [Symbol.toStringTag]() { return 'DashMap'; }
}

module.exports = { DashMap, engineArgs };
