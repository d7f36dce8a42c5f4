'use strict';
// LockMap and LruLockMap: maps with an exclusive lock per key, shared by every
// thread of the process (native/core lock_map.hpp). A lock is held by an
// Entry (or a BatchEntry), not by a thread: an async holder may release it
// from any later callback of its thread. What a thread holds is recorded
// natively (native/addon/lock_hub.hpp), so a worker that exits, throws or is
// terminated releases its locks and drops its waits.
const { inspect } = require('node:util');
const { native, FALLBACK, COUNTED } = require('./native');
const errors = require('./errors');
const {
  checkOptions, integerOption, powerOfTwoOption, timeoutOption, signalOption, limitOptions,
} = require('./options');
const { MapCore, kFast, attachFast, nestedInspectOptions, kNative, attachNative, fromHandle, namedMap, toArray, bytesText, constructorArgs, fillEntries } = require('./map_core');

const MAX_SHARDS = 65536;
const kCreate = Symbol('threadmap.createBatch');

// ---- async waits of this thread ----

// wait id -> { resolve(entry), timer, signal, onAbort }
const waits = new Map();

function endWait(id, w) {
  waits.delete(id);
  if (w.timer !== undefined) clearTimeout(w.timer);
  if (w.signal) w.signal.removeEventListener('abort', w.onAbort);
}

// Called by the addon (on this thread's event loop) when a queued wait is
// handed its lock. Never throws: a grant nobody waits for any more is released.
native.setLockDispatch((id, entry) => {
  const w = waits.get(id);
  if (w === undefined) {
    entry.release();
    return;
  }
  endWait(id, w);
  w.resolve(entry);
});

/**
 * The holder of one key's lock. A native class (native/addon/lock_hub.hpp):
 * `key`, `released` and `release()` are native; the rest is defined here
 * over the addon's entry functions. An Entry collected by the GC while it
 * still holds its lock releases it.
 */
const { Entry } = native;

// The value a held entry sees, for util.inspect; never throws (console.log
// of an entry must not).
function inspectHeld(entry, nested, options, inspectValue) {
  if (entry.released) return options.stylize('<released>', 'special');  // one entry of a batch
  try {
    return entry.exists ? inspectValue(entry.value, nested) : options.stylize('<absent>', 'undefined');
  } catch (err) {
    return options.stylize(`<unreadable: ${err?.message ?? err}>`, 'special');
  }
}
Object.defineProperties(Entry.prototype, {
  /** A copy of the key's value (undefined if none). */
  value: {
    get() { return native.entryGet(this); },
    /** Stores a value; other threads' reads see it at once. */
    set(v) { native.entrySet(this, v); },
    configurable: true,
  },
  /** Whether the key has a value. */
  exists: { get() { return native.entryExists(this); }, configurable: true },
  /** Removes the value (the lock stays held); returns whether there was one. */
  delete: { value: function remove() { return native.entryDelete(this); }, writable: true, configurable: true },
  [Symbol.dispose]: {
    value: function dispose() { if (!this.released) this.release(); },
    writable: true,
    configurable: true,
  },
  [Symbol.toStringTag]: { value: 'Entry', configurable: true },
  // console.log / util.inspect: the key and, while held, the value (a copy,
  // read under the lock this entry holds); the native object has no own
  // properties, so without this an entry showed as `Entry {}`.
  [inspect.custom]: {
    value: function inspectEntry(depth, options, inspectValue) {
      if (depth < 0) return options.stylize('[Entry]', 'special');
      const nested = nestedInspectOptions(options);
      const key = inspectValue(this.key, nested);
      if (this.released) return `Entry { key: ${key}, released: true }`;
      return `Entry { key: ${key}, value: ${inspectHeld(this, nested, options, inspectValue)} }`;
    },
    writable: true,
    configurable: true,
  },
});

// Structured clone would copy a batch as an empty object (its state is in
// private fields); this own symbol makes it refuse, as it refuses an Entry
// (a host object), with a DataCloneError that names the symbol.
const batchUncloneable = Symbol('a BatchEntry cannot be cloned or posted: its locks belong to this thread');

/** The holder of several keys' locks, taken in one deadlock-free order. */
class BatchEntry {
  #entries;
  // Entry lookup by key: primitives by SameValueZero (a Map), byte arrays
  // by content.
  #index = new Map();  // key -> Entry, for every key but byte keys
  #bytes = new Map();  // a byte key's bytesText -> Entry (apart: a string key could equal that text)
  #released = false;  // release() was called (an empty batch has no entry to tell)

  constructor(secret, entries) {
    if (secret !== kCreate) throw new TypeError('BatchEntry: batches come from batchLock() or batchLockAsync()');
    Object.defineProperty(this, 'uncloneable', { value: batchUncloneable, enumerable: true });
    this.#entries = entries;
    for (const e of entries) {
      const k = e.key;
      if (ArrayBuffer.isView(k)) this.#bytes.set(bytesText(k), e); else this.#index.set(k, e);
    }
  }

  /** The locked keys, in lock order (duplicates once). */
  get keys() { return this.#entries.map((e) => e.key); }
  /** Whether release() was called (or every entry of the batch was released). */
  get released() { return this.#released || (this.#entries.length > 0 && this.#entries.every((e) => e.released)); }
  /** The Entry of one key of the batch (RangeError for another key). */
  entry(key) {
    const e = ArrayBuffer.isView(key) ? this.#bytes.get(bytesText(key)) : this.#index.get(key);
    if (e === undefined) throw new RangeError('BatchEntry: that key is not in this batch');
    return e;
  }
  get(key) { return this.entry(key).value; }
  set(key, value) {
    this.entry(key).value = value;
    return this;
  }
  has(key) { return this.entry(key).exists; }
  delete(key) { return this.entry(key).delete(); }
  /** Releases every key (in reverse lock order). */
  release() {
    if (this.released) throw errors.entryReleased();
    let first;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i];
      if (e.released) continue;
      try { e.release(); } catch (err) { if (first === undefined) first = err; }
    }
    if (first !== undefined) throw first;  // some still held: release() can be called again
    this.#released = true;
  }
  [Symbol.dispose]() {
    if (!this.released) this.release();
  }
  get [Symbol.toStringTag]() { return 'BatchEntry'; }

  // console.log / util.inspect: each key and, while held, its value (copies,
  // read under this batch's locks).
  [inspect.custom](depth, options, inspectValue) {
    if (depth < 0) return options.stylize('[BatchEntry]', 'special');
    const nested = nestedInspectOptions(options);
    if (this.released) return `BatchEntry { keys: ${inspectValue(this.keys, nested)}, released: true }`;
    const parts = this.#entries.map((e) => `${inspectValue(e.key, nested)} => ${inspectHeld(e, nested, options, inspectValue)}`);
    return `BatchEntry(${parts.length}) { ${parts.join(', ')} }`;
  }
}

function lockOptions(options, what, allowSignal) {
  const opts = checkOptions(options, what, allowSignal ? ['timeout', 'signal'] : ['timeout']);
  return {
    timeout: timeoutOption(opts.timeout, 'timeout', what),
    signal: allowSignal ? signalOption(opts.signal, what) : undefined,
  };
}

function remaining(deadline) {
  return deadline === Infinity ? Infinity : Math.max(0, Math.ceil(deadline - performance.now()));
}

class LockMap extends MapCore {
  /**
   * new LockMap(options?) or new LockMap(entries, options?), as new Map(entries).
   * @param {Iterable<[unknown, unknown]> | {capacity?: number, shards?: number, timeout?: number, maxKeyBytes?: number, maxValueBytes?: number}} [entriesOrOptions]
   * @param {{capacity?: number, shards?: number, timeout?: number, maxKeyBytes?: number, maxValueBytes?: number}} [maybeOptions]
   */
  constructor(entriesOrOptions, maybeOptions) {
    super();
    const [entries, options] = constructorArgs(entriesOrOptions, maybeOptions, 'LockMap');
    const opts = checkOptions(options, 'LockMap', ['capacity', 'shards', 'timeout', 'maxKeyBytes', 'maxValueBytes']);
    attachNative(this, new native.LockMap(...commonOptions(opts, 'LockMap', 0), undefined, ...limitOptions(opts, 'LockMap')));
    attachFast(this);
    fillEntries(this, entries);
  }

  /** Attaches to a map created in any thread of this process. */
  static from(handle) {
    return fromHandle(LockMap, native.LockMap, handle, attachFast);
  }

  /**
   * The map `name` holds in this process: made by the first call (with its
   * options), attached by every later one in any thread (which may give the
   * same options, not others). Kept alive by the name until
   * threadmap.dropName(name).
   */
  static named(name, options) {
    return namedMap(LockMap, name, options);
  }

  get(key) {
    const r = this[kFast].get(key);
    if (r === FALLBACK) return this[kNative].get(key);
    return r === COUNTED ? this[kNative].peekAfterHit(key) : r;
  }

  /** Locks `key` (present or not), blocking this thread until it is free. */
  lock(key, options) {
    const timeout = options === undefined ? undefined : lockOptions(options, 'lock', false).timeout;
    const r = this[kFast].lock(key, timeout);
    return r === FALLBACK ? this[kNative].lock(key, timeout) : r;
  }

  /** Locks `key` if it is free now; otherwise undefined. Never waits. */
  tryLock(key) {
    const r = this[kFast].tryLock(key);
    return r === FALLBACK ? this[kNative].tryLock(key) : r;
  }

  /** Locks `key` without blocking the event loop. */
  lockAsync(key, options) {
    let timeout;
    let signal;
    let r;
    try {
      ({ timeout, signal } = lockOptions(options, 'lockAsync', true));
      if (signal && signal.aborted) throw errors.aborted('lockAsync', signal);
      r = this[kNative].lockAsync(key);
    } catch (err) {
      return Promise.reject(err);
    }
    if (typeof r !== 'number') return Promise.resolve(r);
    const id = r;
    return new Promise((resolve, reject) => {
      const w = { resolve, timer: undefined, signal, onAbort: undefined };
      const giveUp = (err) => {
        if (waits.get(id) !== w) return;
        endWait(id, w);
        try {
          // false: the grant was already made; the addon has released it,
          // or releases it when it arrives (lock_hub.hpp, "Giving up").
          native.cancelWait(id);
        } catch {
          // Only out of memory: the grant is then released when it reaches
          // the dispatcher above, which finds no wait for it.
        }
        reject(err);
      };
      waits.set(id, w);
      if (timeout !== undefined && timeout !== Infinity) {
        w.timer = setTimeout(() => giveUp(errors.lockTimeout('lockAsync')), timeout);
      }
      if (signal) {
        w.onAbort = () => giveUp(errors.aborted('lockAsync', signal));
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
    });
  }

  /** Locks every key of `keys` in one global order (deadlock-free), blocking this thread. */
  batchLock(keys, options) {
    const { timeout } = lockOptions(options, 'batchLock', false);
    const list = toArray(keys, 'batchLock: keys', true);
    return new BatchEntry(kCreate, this[kNative].batchLock(list, timeout));
  }

  /** Locks every key of `keys` in the same order as batchLock, without blocking the event loop. */
  async batchLockAsync(keys, options) {
    const { timeout, signal } = lockOptions(options, 'batchLockAsync', true);
    if (signal && signal.aborted) throw errors.aborted('batchLockAsync', signal);  // as lockAsync, also for no keys
    const list = toArray(keys, 'batchLockAsync: keys', true);
    const order = this[kNative].orderKeys(list);
    const deadline = timeout === undefined || timeout === Infinity ? Infinity : performance.now() + timeout;
    const held = [];
    try {
      for (const i of order) {
        held.push(await this.lockAsync(list[i], { timeout: remaining(deadline), signal }));
      }
    } catch (err) {
      for (let j = held.length - 1; j >= 0; j--) held[j].release();
      if (err && err.code === errors.codes.ERR_LOCK_TIMEOUT) throw errors.lockTimeout('batchLockAsync');
      if (err && err.code === errors.codes.ERR_ABORTED) throw errors.aborted('batchLockAsync', signal);
      throw err;
    }
    return new BatchEntry(kCreate, held);
  }

  /**
   * Locks a key (or, given an array, several keys), runs fn(entry or batch),
   * and always releases. Resolves to what fn returns (or resolves to).
   */
  async withLock(keyOrKeys, fn, options) {
    if (typeof fn !== 'function') throw new TypeError('withLock: fn must be a function');
    const held = Array.isArray(keyOrKeys)
      ? await this.batchLockAsync(keyOrKeys, options)
      : await this.lockAsync(keyOrKeys, options);
    try {
      return await fn(held);
    } finally {
      if (!held.released) held.release();
    }
  }

  /** Key states alive (values, held or awaited keys): a diagnostic for leaks. */
  stateCount() { return this[kNative].stateCount(); }
  /** Bytes of native memory the map holds: tables, key states, keys' and values' own blocks (walks every entry). */
  nativeBytes() { return this[kNative].nativeBytes(); }

  get [Symbol.toStringTag]() { return 'LockMap'; }
}

function commonOptions(opts, className, capacityMin) {
  const capacity = opts.capacity === undefined ? capacityMin
    : integerOption(opts.capacity, 'capacity', className, { min: capacityMin, max: 2 ** 32 });
  const shards = opts.shards === undefined ? 0 : powerOfTwoOption(opts.shards, 'shards', className, MAX_SHARDS);
  const timeout = timeoutOption(opts.timeout, 'timeout', className);
  return [capacity, shards, timeout];
}

// An error crossing threads for getOrCompute: what structured clone keeps of
// an Error (name, message, stack), plus `code` and `cause`, which it drops.
function failureRecord(err) {
  if (err instanceof Error) {
    const rec = { error: true, name: err.name, message: err.message, stack: err.stack };
    if (err.code !== undefined) rec.code = err.code;
    try {
      structuredClone(err.cause);
      if (err.cause !== undefined) rec.cause = err.cause;
    } catch { /* a cause that cannot be cloned stays behind */ }
    return rec;
  }
  try {
    structuredClone(err);
    return { error: false, value: err };
  } catch {
    return { error: false, value: String(err) };
  }
}

const errorClasses = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

function reviveFailure(rec) {
  if (!rec.error) return rec.value;
  const Ctor = Object.hasOwn(errorClasses, rec.name) ? errorClasses[rec.name] : Error;
  const err = new Ctor(rec.message, rec.cause !== undefined ? { cause: rec.cause } : undefined);
  if (err.name !== rec.name) Object.defineProperty(err, 'name', { value: rec.name, configurable: true, writable: true });
  if (rec.stack !== undefined) err.stack = rec.stack;
  if (rec.code !== undefined) err.code = rec.code;
  return err;
}

class LruLockMap extends LockMap {
  /**
   * new LruLockMap(options) or new LruLockMap(entries, options), as new
   * Map(entries): past capacity, the first entries are evicted.
   * @param {Iterable<[unknown, unknown]> | {capacity: number, ttl?: number, shards?: number, timeout?: number}} entriesOrOptions
   * @param {{capacity: number, ttl?: number, shards?: number, timeout?: number}} [maybeOptions]
   */
  constructor(entriesOrOptions, maybeOptions) {
    const [entries, options] = constructorArgs(entriesOrOptions, maybeOptions, 'LruLockMap');
    const opts = checkOptions(options, 'LruLockMap', ['capacity', 'ttl', 'shards', 'timeout', 'maxKeyBytes', 'maxValueBytes']);
    if (opts.capacity === undefined) throw new TypeError('LruLockMap: options.capacity is required');
    const args = commonOptions(opts, 'LruLockMap', 1);
    const ttl = opts.ttl === undefined ? undefined
      : integerOption(opts.ttl, 'ttl', 'LruLockMap', { min: 1, max: 1e12 });
    const nativeMap = new native.LruLockMap(...args, ttl, ...limitOptions(opts, 'LruLockMap'));
    // LockMap's constructor would make a LockMap: build the object here.
    const self = Object.create(new.target.prototype);
    attachNative(self, nativeMap);
    attachFast(self);
    fillEntries(self, entries);
    return self;
  }

  static from(handle) {
    return fromHandle(LruLockMap, native.LruLockMap, handle, attachFast);
  }

  /**
   * The map `name` holds in this process: made by the first call (with its
   * options), attached by every later one in any thread (which may give the
   * same options, not others). Kept alive by the name until
   * threadmap.dropName(name).
   */
  static named(name, options) {
    return namedMap(LruLockMap, name, options);
  }

  /** The bound on size. */
  get capacity() { return this[kNative].capacity(); }

  /** Stores a value; `ttl` (ms) overrides the map's for this value. */
  set(key, value, options) {
    if (options === undefined) return super.set(key, value);
    const { ttl } = checkOptions(options, 'set', ['ttl']);
    this[kNative].set(key, value, ttl === undefined ? undefined : integerOption(ttl, 'ttl', 'set', { min: 1, max: 1e12 }));
    return this;
  }

  /** The value without promoting it or counting a hit or a miss. */
  peek(key) {
    const r = this[kFast].peek(key);
    return r === FALLBACK ? this[kNative].peek(key) : r;
  }

  /** Lookups counted by get() and getOrCompute(), and entries dropped. */
  stats() { return this[kNative].stats(); }

  /**
   * The key's value, or the result of fn(key), stored. Across all threads of
   * the process at most one fn runs per key at a time; the others wait for
   * its result. If fn throws or rejects, every caller waiting then gets that
   * error and nothing is stored.
   */
  async getOrCompute(key, fn) {
    if (typeof fn !== 'function') throw new TypeError('getOrCompute: fn must be a function');
    // A hit is counted once: by the fast probe, or (for a key type it does
    // not take) by the full one. COUNTED: counted, and a value the fast
    // probe does not make (or a stored undefined), which peek returns
    // uncounted; if peek finds nothing (the key went meanwhile, or holds
    // undefined) the locked path below decides.
    const hit = this[kFast].probe(key);
    if (hit === FALLBACK) {
      const cached = this[kNative].probe(key);
      if (cached !== FALLBACK) return cached;
    } else if (hit === COUNTED) {
      const cached = this[kNative].peekAfterHit(key);  // gone meanwhile: counted as a miss after all
      if (cached !== undefined) return cached;
    } else if (hit !== undefined) {
      return hit;
    }
    const entry = await this.lockAsync(key);
    try {
      if (entry.exists) return entry.value;
      const failure = native.entryFailure(entry);
      if (failure !== undefined) throw reviveFailure(failure);
      let value;
      try {
        value = await fn(key);
      } catch (err) {
        if (!entry.released) native.entryPublishFailure(entry, failureRecord(err));
        throw err;
      }
      entry.value = value;
      return value;
    } finally {
      if (!entry.released) entry.release();
    }
  }

  get [Symbol.toStringTag]() { return 'LruLockMap'; }
}

module.exports = { LockMap, LruLockMap, Entry, BatchEntry };
