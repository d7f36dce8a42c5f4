// Type definitions for threadmap: the public contract, written by hand.
//
// threadmap is a native addon of concurrent hash maps shared by every
// worker_thread of a Node.js process. One declaration file serves both
// `import { DashMap } from 'threadmap'` (ESM, lib/index.mjs) and
// `const { DashMap } = require('threadmap')` (CommonJS, lib/index.js).
//
// Only what exists is declared here: DashMap, liveMaps() and codes.

/**
 * A key: string, number, bigint, boolean or Uint8Array (a Buffer is one).
 * Keys compare like a JS `Map`'s (SameValueZero): `0` and `-0` are one key,
 * `NaN` is one key, `1`, `1n` and `'1'` are three keys. Byte keys compare
 * by content, not identity, and are read back as a `Buffer`. Any other key
 * is a `TypeError`.
 */
export type Key = string | number | bigint | boolean | Uint8Array;

/** Options of `new DashMap(options)`. Wrong types are a `TypeError`, out-of-range values a `RangeError`, unknown names a `TypeError`. */
export interface DashMapOptions {
  /** Entries to reserve room for up front (an integer in [0, 2^32]); default 0. */
  capacity?: number;
  /** Number of shards, a power of two in [1, 65536]; default 4 x the hardware threads, rounded up to a power of two. */
  shards?: number;
}

/**
 * The error codes threadmap sets on the `code` property of its errors.
 * A DashMap raises `ERR_WOULD_DEADLOCK` and `ERR_INVALID_HANDLE`; the other
 * codes belong to the lock APIs of the DESIGN and are not raised yet.
 */
export declare const codes: Readonly<{
  /** A call would wait for a lock this thread already holds (e.g. a map call from an `update`/`retain` callback into the same shard). */
  ERR_WOULD_DEADLOCK: 'ERR_WOULD_DEADLOCK';
  /** A lock wait ran past its timeout. */
  ERR_LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT';
  /** A lock wait was cancelled by its AbortSignal. */
  ERR_ABORTED: 'ERR_ABORTED';
  /** `from()` got a SharedArrayBuffer that is not a live handle (thrown as a `TypeError`). */
  ERR_INVALID_HANDLE: 'ERR_INVALID_HANDLE';
  /** An entry was used after its lock was released. */
  ERR_ENTRY_RELEASED: 'ERR_ENTRY_RELEASED';
}>;

/** One of the string literals of `codes`. */
export type ErrorCode = (typeof codes)[keyof typeof codes];

/**
 * The shape of an error threadmap raises with a code: an `Error` (a
 * `TypeError` for `ERR_INVALID_HANDLE`) whose `code` is one of `codes`.
 * It is an interface, not a class: test `err.code`, not `instanceof`.
 */
export interface ThreadmapError extends Error {
  /** Which failure this is; compare with `codes.*`. */
  code: ErrorCode;
}

/**
 * A concurrent hash map in native memory, shared by every thread of the
 * process: sharded, each shard guarded by a reader-writer lock. Map-like.
 *
 * Share it by posting `map.handle` to a worker and calling
 * `DashMap.from(handle)` there. Values are stored by structured clone, so
 * every read returns a copy. Keys read back (iteration, `retain`, `forEach`)
 * give byte keys as a `Buffer`.
 *
 * Every single-key call locks one shard (read lock for reads, write lock for
 * writes) and is atomic; multi-key calls and iteration are not atomic as a
 * whole. A value that structured clone rejects (a function, a symbol) is a
 * `TypeError` and leaves the map unchanged; so is an invalid key.
 *
 * @typeParam K the key type (see {@link Key})
 * @typeParam V the value type: anything structured clone accepts
 */
export declare class DashMap<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  /** Creates an empty map in native memory; locks nothing. TypeError/RangeError for bad options. */
  constructor(options?: DashMapOptions);

  /**
   * Attaches to a map created in any thread of this process, given its `handle`; locks nothing.
   * The type arguments are not checked at run time: they are the caller's promise.
   * @throws TypeError with code `ERR_INVALID_HANDLE` if `handle` is not a live DashMap handle (a copy of its bytes is not one).
   */
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): DashMap<K, V>;

  /** The map's unforgeable SharedArrayBuffer handle: post it to a worker (postMessage, workerData) and pass it to `DashMap.from`; locks nothing. Keeps the map alive while reachable. */
  readonly handle: SharedArrayBuffer;

  /** Number of entries; read-locks each shard in turn, so under concurrent writes it is a snapshot per shard. */
  readonly size: number;

  /** Number of shards (fixed at construction); locks nothing. */
  readonly shardCount: number;

  /** Returns a copy of the value for `key`, or undefined; read-locks the key's shard. TypeError for an invalid key. */
  get(key: K): V | undefined;

  /** Stores a clone of `value` under `key` and returns the map; write-locks the key's shard. TypeError for an invalid key or an uncloneable value (map unchanged). */
  set(key: K, value: V): this;

  /** Whether `key` is present; read-locks the key's shard. TypeError for an invalid key. */
  has(key: K): boolean;

  /** Removes `key`; returns whether it was present; write-locks the key's shard. TypeError for an invalid key. */
  delete(key: K): boolean;

  /** Removes every entry; write-locks each shard in turn (not atomic as a whole). */
  clear(): void;

  /** Copies of the values of `keys`, in their order (undefined where absent); read-locks one shard per key, one key at a time. TypeError for an invalid key. */
  getMany(keys: Iterable<K>): (V | undefined)[];

  /** Stores every [key, value] pair and returns the map; validates every entry before changing any, then write-locks one shard per entry (each key atomic, not the batch). TypeError for a bad entry (map unchanged). */
  setMany(entries: Iterable<readonly [K, V]>): this;

  /** Removes `keys`; returns how many were present; write-locks one shard per key, one key at a time. TypeError for an invalid key (map unchanged). */
  deleteMany(keys: Iterable<K>): number;

  /**
   * Atomically adds `delta` (default 1) to a number value and returns the new value; an absent key counts from 0. Write-locks the key's shard.
   * @throws TypeError if the stored value is not a number (e.g. a bigint).
   */
  add(this: DashMap<K, number>, key: K, delta?: number): number;
  /**
   * Atomically adds a bigint `delta` to a bigint value and returns the new value; an absent key counts from 0n. Write-locks the key's shard.
   * @throws TypeError if the stored value is not a bigint (e.g. a number).
   */
  add(this: DashMap<K, bigint>, key: K, delta: bigint): bigint;
  /**
   * On a map whose values are declared `number | bigint`: atomically adds `delta` (default 1) to a counter of the same numeric type and returns the new value; an absent key counts from 0 (0n). Write-locks the key's shard.
   * @throws TypeError if the stored value and `delta` are not both numbers or both bigints.
   */
  add(
    this: [V] extends [number | bigint] ? ([number | bigint] extends [V] ? DashMap<K, V> : never) : never,
    key: K,
    delta?: number | bigint,
  ): number | bigint;

  /** Returns (a copy of) the existing value for `key`, or inserts `value` and returns it; atomic under the key's shard write lock. TypeError for an invalid key or value. */
  getOrInsert(key: K, value: V): V;

  /**
   * Sets `key` to `value` only if its current value matches `expected` (`undefined` means "absent"); returns whether it did. Atomic under the key's shard write lock.
   * Primitives match by SameValueZero, other values by cloned content.
   */
  compareAndSet(key: K, expected: V | undefined, value: V): boolean;

  /** Removes `key` and returns its value, or undefined if absent; atomic under the key's shard write lock. */
  take(key: K): V | undefined;

  /**
   * Replaces the value of `key` with `fn(old)` (old is undefined when absent) and returns the new value; a result of undefined deletes the key.
   * `fn` runs under the key's shard write lock: a map call from `fn` that needs that shard throws `ERR_WOULD_DEADLOCK`.
   * If `fn` throws (or returns an uncloneable value) the key is left as it was and the error reaches the caller.
   */
  update(key: K, fn: (old: V | undefined) => V | undefined): V | undefined;

  /**
   * Keeps the entries for which `fn(value, key)` is truthy and removes the others; returns how many it removed.
   * Write-locks each shard in turn while `fn` runs on its entries: a map call from `fn` that needs the current shard throws `ERR_WOULD_DEADLOCK`.
   * If `fn` throws, retain stops there and the error reaches the caller (entries already removed stay removed).
   */
  retain(fn: (value: V, key: K) => unknown): number;

  /** Iterates the keys (byte keys as Buffer); weakly consistent: copies one shard at a time under its read lock, sees every entry present throughout once. */
  keys(): IterableIterator<K>;

  /** Iterates copies of the values; weakly consistent, one shard at a time under its read lock. */
  values(): IterableIterator<V>;

  /** Iterates [key, value] pairs (byte keys as Buffer, values copied); weakly consistent, one shard at a time under its read lock. */
  entries(): IterableIterator<[K, V]>;

  /** Same as `entries()`: `for (const [k, v] of map)`. */
  [Symbol.iterator](): IterableIterator<[K, V]>;

  /** Calls `fn(value, key, map)` for every entry, like `Map#forEach`; iterates like `entries()`, so `fn` runs with no lock held. TypeError if `fn` is not a function. */
  forEach(fn: (value: V, key: K, map: DashMap<K, V>) => void, thisArg?: unknown): void;

  /** Entries per shard, a diagnostic of the key distribution; read-locks each shard in turn. */
  shardSizes(): number[];

  /** Bytes of native memory the map holds (tables, keys, values), a diagnostic; read-locks each shard in turn and walks every entry. */
  nativeBytes(): number;

  /** `'DashMap'`, for `Object.prototype.toString`. */
  readonly [Symbol.toStringTag]: string;
}

/** Native maps alive in this process, counted across all threads: a diagnostic for leaks. Locks nothing. */
export declare function liveMaps(): number;
