// Type definitions for threadmap: the public contract, written by hand.
//
// threadmap is a native addon of concurrent hash maps shared by every
// worker_thread of a Node.js process. One declaration file serves both
// `import { DashMap } from 'threadmap'` (ESM, lib/index.mjs) and
// `const { DashMap } = require('threadmap')` (CommonJS, lib/index.js).
//
// Declared here: DashMap, DashSet, LockMap, LruLockMap, LockFreeMap, HopscotchMap,
// Entry, BatchEntry, liveMaps(), heldLocks(), namedMaps(), dropName() and codes.

/**
 * A key: string, number, bigint, boolean or Uint8Array (a Buffer is one).
 * Keys compare like a JS `Map`'s (SameValueZero): `0` and `-0` are one key,
 * `NaN` is one key, `1`, `1n` and `'1'` are three keys. Byte keys compare
 * by content, not identity, and are read back as a `Buffer`. Any other key
 * is a `TypeError`.
 */
export type Key = string | number | bigint | boolean | Uint8Array;

/**
 * A list of keys: an array or other iterable, but not a string, which is one
 * key (at run time a string or a byte array there is a `TypeError`).
 */
export type KeyList<K> = Iterable<K> & { readonly charAt?: never };

/** Options of `new DashMap(options)`. Wrong types are a `TypeError`, out-of-range values a `RangeError`, unknown names a `TypeError`. */
export interface DashMapOptions {
  /** Entries to reserve room for up front (an integer in [0, 2^32]); default 0. */
  capacity?: number;
  /** Number of shards, a power of two in [1, 65536]; default 4 x the hardware threads rounded up to a power of two, at least 32. */
  shards?: number;
  /** Largest key, in canonical bytes (a string: 1 byte per UTF-16 unit if all are < 256, else 2); default 65,536. A longer key is a `RangeError`. */
  maxKeyBytes?: number;
  /** Largest value, in native or serialized bytes; default 67,108,864 (64 MiB). A larger value is a `RangeError`, map unchanged. */
  maxValueBytes?: number;
}

/** The error codes threadmap sets on the `code` property of its errors. */
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
  /** An LruLockMap store needed room but every entry was locked or awaited: none could be evicted (map unchanged). */
  ERR_CACHE_FULL: 'ERR_CACHE_FULL';
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
 * Every single-key call is atomic and locks at most one shard: a read lock
 * for reads, a write lock for writes. Exceptions, all still atomic:
 * `get`/`has` of an inline key (a number, a boolean, a short string) usually
 * take no lock at all, and `set` of a number (boolean, null, undefined) over
 * one of those, and `add` on a number, change the value in place under the
 * read lock. Multi-key calls and iteration are not atomic as a whole. A value that structured clone rejects (a function, a symbol) is a
 * `TypeError` and leaves the map unchanged; so is an invalid key.
 *
 * @typeParam K the key type (see {@link Key})
 * @typeParam V the value type: anything structured clone accepts
 */
export declare class DashMap<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  /** Creates an empty map in native memory; locks nothing. TypeError/RangeError for bad options. */
  constructor(options?: DashMapOptions);
  /**
   * Creates a map holding `entries`, as `new Map(entries)` does: any iterable of [key, value] pairs (an array, a `Map`, another
   * threadmap map: a copy), a later duplicate key winning. TypeError/RangeError for a bad entry or option; no map then.
   */
  constructor(entries: Iterable<readonly [K, V]>, options?: DashMapOptions);

  /**
   * Attaches to a map created in any thread of this process, given its `handle`; locks nothing.
   * The type arguments are not checked at run time: they are the caller's promise.
   * @throws TypeError with code `ERR_INVALID_HANDLE` if `handle` is not a live DashMap handle (a copy of its bytes is not one).
   */
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): DashMap<K, V>;
  /**
   * The map `name` holds in this process: made by the first call in any
   * thread, with that call's options; every later call attaches to it, and
   * one that gives options must give the same (else a TypeError). The name keeps the map alive until
   * `dropName(name)`. A name holding another class is a TypeError.
   */
  static named<K extends Key = Key, V = unknown>(name: string, options?: DashMapOptions): DashMap<K, V>;

  /** The map's unforgeable SharedArrayBuffer handle: post it to a worker (postMessage, workerData) and pass it to `DashMap.from`; locks nothing. Keeps the map alive while reachable. */
  readonly handle: SharedArrayBuffer;

  /** Number of entries: a sum of per-shard counts (each exact when read; read without locks unless a writer is in the shard), so under concurrent writes it is a snapshot per shard. */
  readonly size: number;

  /** Number of shards (fixed at construction); locks nothing. */
  readonly shardCount: number;

  /** Returns a copy of the value for `key`, or undefined; takes no lock for an inline key holding a number, boolean, null or undefined while no writer is in its shard, else read-locks the key's shard. TypeError for an invalid key. */
  get(key: K): V | undefined;

  /** Stores a clone of `value` under `key` and returns the map; write-locks the key's shard (a number, boolean, null or undefined over one of those is stored in place under its read lock). TypeError for an invalid key or an uncloneable value (map unchanged). */
  set(key: K, value: V): this;

  /** Whether `key` is present; takes no lock for an inline key while no writer is in its shard, else read-locks the key's shard. TypeError for an invalid key. */
  has(key: K): boolean;

  /** Removes `key`; returns whether it was present; write-locks the key's shard. TypeError for an invalid key. */
  delete(key: K): boolean;

  /** Removes every entry; write-locks each shard in turn (not atomic as a whole). */
  clear(): void;

  /** Copies of the values of `keys`, in their order (undefined where absent); read-locks one shard per key, one key at a time. TypeError for an invalid key. */
  getMany(keys: KeyList<K>): (V | undefined)[];

  /** Stores every [key, value] pair and returns the map; validates every entry before changing any, then write-locks one shard per entry (each key atomic, not the batch). TypeError for a bad entry (map unchanged). */
  setMany(entries: Iterable<readonly [K, V]>): this;

  /** Removes `keys`; returns how many were present; write-locks one shard per key, one key at a time. TypeError for an invalid key (map unchanged). */
  deleteMany(keys: KeyList<K>): number;

  /**
   * Atomically adds `delta` (default 1) to a number value and returns the new value; an absent key counts from 0. A number already there is added to in place under the key's shard read lock (a compare-and-swap); otherwise write-locks the shard.
   * @throws TypeError if the stored value is not a number (e.g. a bigint).
   */
  add(this: DashMap<K, number>, key: K, delta?: number): number;
  /**
   * Atomically adds a bigint `delta` to a bigint value and returns the new value; an absent key counts from 0n. Write-locks the key's shard.
   * @throws TypeError if the stored value is not a bigint (e.g. a number).
   */
  add(this: DashMap<K, bigint>, key: K, delta: bigint): bigint;
  /**
   * On a map whose values are declared `number | bigint`: atomically adds `delta` (default 1) to a counter of the same numeric type and returns the new value; an absent key counts from 0 (0n). A number counter is added to in place under the shard's read lock; otherwise write-locks the key's shard.
   * @throws TypeError if the stored value and `delta` are not both numbers or both bigints.
   */
  add(
    this: [V] extends [number | bigint] ? ([number | bigint] extends [V] ? DashMap<K, V> : never) : never,
    key: K,
    delta?: number | bigint,
  ): number | bigint;

  /** Returns (a copy of) the existing value for `key`, or inserts `value` and returns it; atomic (a present key is read as `get` reads it, an absent one inserted under the key's shard write lock). TypeError for an invalid key or value. */
  getOrInsert(key: K, value: V): V;

  /**
   * Returns (a copy of) the existing value for `key` (a read, as `get`); if there is none, calls `fn(key)`, stores its result and
   * returns it (as the TC39 upsert proposal's `Map.prototype.getOrInsertComputed`). `fn` runs under the key's shard write lock, as `update`'s does,
   * so at most once per insertion across every thread; it must be synchronous (a Promise is a TypeError). If `fn` throws, the
   * key stays absent.
   */
  getOrInsertComputed(key: K, fn: (key: K) => V): V;

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

  /** Entries per shard, a diagnostic of the key distribution; each count read as `size` reads it. */
  shardSizes(): number[];

  /** Bytes of native memory the map holds (tables, keys, values), a diagnostic; read-locks each shard in turn and walks every entry. */
  nativeBytes(): number;

  /** `'DashMap'`, for `Object.prototype.toString`. */
  readonly [Symbol.toStringTag]: string;
}

/**
 * What the Set methods of ES2025 accept as their argument (TypeScript's `ReadonlySetLike`): a `Set`, a `Map` (its keys), a
 * {@link DashSet}, or any object with these three.
 */
export interface SetLike<T> {
  /** A number, not NaN, not negative (read once; converted as `Number(size)`, then truncated). */
  readonly size: number;
  has(value: T): boolean;
  keys(): Iterator<T>;
}

/** Options of `new DashSet(options)`: DashMap's, less `maxValueBytes` (a set holds no values). */
export type DashSetOptions = Omit<DashMapOptions, 'maxValueBytes'>;

/**
 * A concurrent set in native memory, shared by every thread of the process,
 * with the API of a JS `Set` (dashmap's `DashSet`): the DashMap engine, each
 * member a key. Members are what a map's keys are ({@link Key}): `0` and `-0`
 * are one member, `NaN` is one, byte arrays are members by content and are
 * read back as a `Buffer`; any other value is a `TypeError`, set unchanged.
 *
 * Share it by posting `set.handle` to a worker and calling
 * `DashSet.from(handle)` there, or by name (`DashSet.named`). Every
 * single-value call is atomic and locks at most one shard; `has`, and `add`
 * or `insert` of a member already there, take no lock for an inline value
 * (a number, a boolean, a short string) while no writer is in its shard.
 * Its `size`, `has` and `keys` make it a set-like object for Node 22's
 * `Set.prototype.union` and the like.
 *
 * @typeParam T the member type (see {@link Key})
 */
export declare class DashSet<T extends Key = Key> implements Iterable<T> {
  /** Creates an empty set in native memory. TypeError/RangeError for bad options. */
  constructor(options?: DashSetOptions);
  /**
   * Creates a set holding `values`, as `new Set(values)` does, from any iterable but a string or a byte array (each is a
   * single member, not a list: TypeError; wrap it, `[value]`). Every value is checked before any is stored:
   * TypeError/RangeError for a bad one or a bad option; no set then.
   */
  constructor(values: KeyList<T>, options?: DashSetOptions);

  /**
   * Attaches to a set created in any thread of this process, given its `handle`; locks nothing. The type argument is not checked.
   * @throws TypeError with code `ERR_INVALID_HANDLE` if `handle` is not a live DashSet handle (a DashMap's is not one).
   */
  static from<T extends Key = Key>(handle: SharedArrayBuffer): DashSet<T>;
  /** The set `name` holds in this process, as `DashMap.named`: made by the first call, attached by the later ones. */
  static named<T extends Key = Key>(name: string, options?: DashSetOptions): DashSet<T>;

  /** The set's SharedArrayBuffer handle, as a DashMap's. */
  readonly handle: SharedArrayBuffer;
  /** Number of members, read as a DashMap's `size` (a snapshot per shard under concurrent writes). */
  readonly size: number;
  /** Number of shards (fixed at construction). */
  readonly shardCount: number;

  /** Adds `value` and returns the set, as `Set#add`. TypeError for a value that cannot be a member. */
  add(value: T): this;
  /**
   * Adds `value` if it is not a member; returns whether it added it. Of several threads inserting one value, exactly one gets
   * `true` (claim a job, deduplicate messages). A member already there is found without a lock (see the class); an absent one
   * is added under its shard's write lock.
   */
  insert(value: T): boolean;
  /** Whether `value` is a member; usually takes no lock (see the class). */
  has(value: T): boolean;
  /** Removes `value`; returns whether it was a member; write-locks its shard. */
  delete(value: T): boolean;
  /** Removes every member; write-locks each shard in turn (not atomic as a whole). */
  clear(): void;
  /** Removes every value of `values`; returns how many were members; one shard lock per value. TypeError for an invalid value (set unchanged). */
  deleteMany(values: KeyList<T>): number;
  /**
   * Keeps the members for which `fn(value)` is truthy; returns how many it removed. Write-locks each shard in turn while `fn`
   * runs on its members: a call from `fn` into the same shard throws `ERR_WOULD_DEADLOCK`. If `fn` throws, retain stops there.
   */
  retain(fn: (value: T) => unknown): number;

  /** Iterates the members (byte arrays as Buffer); weakly consistent: one shard at a time, every member present throughout seen once. */
  values(): IterableIterator<T>;
  /** Same as `values()`, as `Set#keys`. */
  keys(): IterableIterator<T>;
  /** Iterates `[value, value]` pairs, as `Set#entries`. */
  entries(): IterableIterator<[T, T]>;
  /** Same as `values()`: `for (const v of set)`. */
  [Symbol.iterator](): IterableIterator<T>;
  /** Calls `fn(value, value, set)` for every member, as `Set#forEach`, with no lock held. */
  forEach(fn: (value: T, value2: T, set: DashSet<T>) => void, thisArg?: unknown): void;

  // The Set methods of ES2025, as `Set`'s in Node 22 (here on Node 20 too). Each reads this set as iteration does (weakly
  // consistent) and `other` as the standard does: TypeError unless it is set-like, RangeError for a negative size. The sets
  // they return are plain `Set`s, local to this thread (`new DashSet(result)` shares one). A value of `other` that cannot be a
  // member is not one; byte-array members come back as new Buffers, held by reference in the result as any Set holds them.
  /** A new Set of this set's members, then `other`'s values. */
  union<U>(other: SetLike<U>): Set<T | U>;
  /** A new Set of this set's members that `other` has. */
  intersection<U>(other: SetLike<U>): Set<T & U>;
  /** A new Set of this set's members that `other` does not have. */
  difference<U>(other: SetLike<U>): Set<T>;
  /** A new Set of the values in exactly one of this set and `other`. */
  symmetricDifference<U>(other: SetLike<U>): Set<T | U>;
  /** Whether `other` has every member of this set. */
  isSubsetOf(other: SetLike<unknown>): boolean;
  /** Whether every value of `other` is a member of this set. */
  isSupersetOf(other: SetLike<unknown>): boolean;
  /** Whether `other` has no member of this set. */
  isDisjointFrom(other: SetLike<unknown>): boolean;

  /** Members per shard, a diagnostic of the hash distribution. */
  shardSizes(): number[];
  /** Bytes of native memory the set holds, a diagnostic; walks every member. */
  nativeBytes(): number;
  /** `'DashSet'`, for `Object.prototype.toString`. */
  readonly [Symbol.toStringTag]: string;
}

/** Native maps alive in this process, counted across all threads: a diagnostic for leaks. Locks nothing. */
export declare function liveMaps(): number;

/** The names that hold a map (`X.named(name)`), in no particular order. */
export declare function namedMaps(): string[];

/**
 * Frees a name (`X.named(name)`): the map lives on while a wrapper or handle
 * in any thread reaches it, and the name's next `named` call makes a new map.
 * Returns whether the name held a map.
 */
export declare function dropName(name: string): boolean;

/** This thread's entries that hold a lock, and its queued async lock waits: a diagnostic for leaks. */
export declare function heldLocks(): { held: number; waiting: number };

/** Options of `new LockMap(options)`. */
export interface LockMapOptions {
  /** Entries to reserve room for up front (an integer in [0, 2^32]); default 0. */
  capacity?: number;
  /** Number of shards, a power of two in [1, 65536]; default 4 x the hardware threads, rounded up. */
  shards?: number;
  /** How long writes outside a lock (`set`, `delete`, `add`, `update`, ...) wait for a key another holder has locked, in ms (an integer, or Infinity); default Infinity. Past it: `ERR_LOCK_TIMEOUT`. */
  timeout?: number;
  /** As DashMapOptions.maxKeyBytes (default 65,536). */
  maxKeyBytes?: number;
  /** As DashMapOptions.maxValueBytes (default 64 MiB). */
  maxValueBytes?: number;
}

/** Options of `new LruLockMap(options)`. */
export interface LruLockMapOptions extends LockMapOptions {
  /** The bound on `size`, whatever the shard count (an integer >= 1). Required. */
  capacity: number;
  /** Default time to live of a stored value, in ms (an integer >= 1); default: none. Expired values are never returned and are evicted first. */
  ttl?: number;
}

/** Options of a blocking lock call. */
export interface LockOptions {
  /** Give up after this many ms (an integer, or Infinity; default Infinity) with `ERR_LOCK_TIMEOUT`. */
  timeout?: number;
}

/** Options of an async lock call. */
export interface AsyncLockOptions extends LockOptions {
  /** Give up when aborted, with `ERR_ABORTED` (the signal's reason as `cause`). */
  signal?: AbortSignal;
}

/**
 * The holder of one key's lock. The lock belongs to the Entry, not to a
 * thread: an entry from `lockAsync` may be released from any later callback
 * of its thread. Reads of the value by other threads never wait for it;
 * writes outside a lock do. An Entry collected by the GC while still
 * holding its lock releases it, but release explicitly (`release()`,
 * `withLock`, or `using` in TypeScript).
 */
export declare class Entry<K extends Key = Key, V = unknown> {
  private constructor();
  /** The locked key (-0 as 0, byte keys as a Buffer copy); readable after release. */
  readonly key: K;
  /** A copy of the key's value (undefined if none); assigning stores a clone at once (other threads' reads see it). `ERR_ENTRY_RELEASED` after release. */
  value: V | undefined;
  /** Whether the key has a value. */
  readonly exists: boolean;
  /** Whether `release()` was called. */
  readonly released: boolean;
  /** Removes the value, keeping the lock; returns whether there was one. */
  delete(): boolean;
  /** Hands the lock to the next waiter (FIFO), or frees it. `ERR_ENTRY_RELEASED` if already released. */
  release(): void;
  /** `release()` unless already released. */
  [Symbol.dispose](): void;
}

/** The holder of several keys' locks, taken in one global order (deadlock-free). */
export declare class BatchEntry<K extends Key = Key, V = unknown> {
  private constructor();
  /** The locked keys in lock order (each once). */
  readonly keys: K[];
  /** Whether `release()` was called. */
  readonly released: boolean;
  /** The Entry of one key of the batch; RangeError for a key not in it. */
  entry(key: K): Entry<K, V>;
  get(key: K): V | undefined;
  set(key: K, value: V): this;
  has(key: K): boolean;
  delete(key: K): boolean;
  /** Releases every key of the batch. */
  release(): void;
  [Symbol.dispose](): void;
}

/**
 * A shared map with an exclusive lock per key (present or not). Map-like,
 * shared between threads by `handle` like DashMap. Reads outside a lock
 * (`get`, `has`, `getMany`, iteration) never wait for a key's lock and see
 * the last value stored; writes outside a lock wait for a held key up to
 * the map's `timeout`. A blocking call that would wait for a lock this
 * thread holds (by any of its entries) throws `ERR_WOULD_DEADLOCK` at once.
 * When a worker exits, throws or is terminated, its locks are released and
 * its waits dropped.
 */
export declare class LockMap<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  constructor(options?: LockMapOptions);
  /**
   * Creates a map holding `entries`, as `new Map(entries)` does: any iterable of [key, value] pairs (an array, a `Map`, another
   * threadmap map: a copy), a later duplicate key winning. TypeError/RangeError for a bad entry or option; no map then.
   */
  constructor(entries: Iterable<readonly [K, V]>, options?: LockMapOptions);
  /** Attaches to a LockMap created in any thread; `ERR_INVALID_HANDLE` (TypeError) for anything else. */
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): LockMap<K, V>;
  /**
   * The map `name` holds in this process: made by the first call in any
   * thread, with that call's options; every later call attaches to it, and
   * one that gives options must give the same (else a TypeError). The name keeps the map alive until
   * `dropName(name)`. A name holding another class is a TypeError.
   */
  static named<K extends Key = Key, V = unknown>(name: string, options?: LockMapOptions): LockMap<K, V>;
  readonly handle: SharedArrayBuffer;
  readonly size: number;
  readonly shardCount: number;

  /** A copy of the value; never waits for a key lock. */
  get(key: K): V | undefined;
  /** Stores a clone; waits (up to `timeout`) if another holder has the key locked. */
  set(key: K, value: V): this;
  has(key: K): boolean;
  delete(key: K): boolean;
  /** Removes every value; waits for keys held elsewhere (`ERR_WOULD_DEADLOCK` if this thread holds one). */
  clear(): void;
  getMany(keys: KeyList<K>): (V | undefined)[];
  setMany(entries: Iterable<readonly [K, V]>): this;
  deleteMany(keys: KeyList<K>): number;
  add(this: LockMap<K, number>, key: K, delta?: number): number;
  add(this: LockMap<K, bigint>, key: K, delta: bigint): bigint;
  add(
    this: [V] extends [number | bigint] ? ([number | bigint] extends [V] ? LockMap<K, V> : never) : never,
    key: K,
    delta?: number | bigint,
  ): number | bigint;
  getOrInsert(key: K, value: V): V;
  /** The existing value for `key`, or `fn(key)` after storing it; `fn` runs with the key's lock held (other keys free), only for an absent key. */
  getOrInsertComputed(key: K, fn: (key: K) => V): V;
  compareAndSet(key: K, expected: V | undefined, value: V): boolean;
  take(key: K): V | undefined;
  /** fn(old) -> new with the key's lock held (not a shard lock): fn may use other keys; writing this key from fn is `ERR_WOULD_DEADLOCK`. Returning undefined deletes; a throw leaves the key as it was. */
  update(key: K, fn: (old: V | undefined) => V | undefined): V | undefined;
  /** Keeps the values where fn(value, key) is truthy; waits for held keys. */
  retain(fn: (value: V, key: K) => unknown): number;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
  [Symbol.iterator](): IterableIterator<[K, V]>;
  forEach(fn: (value: V, key: K, map: this) => void, thisArg?: unknown): void;

  /** Locks `key`, blocking this thread until it is free (FIFO). `ERR_WOULD_DEADLOCK` if this thread holds or awaits it; `ERR_LOCK_TIMEOUT` past `timeout`. */
  lock(key: K, options?: LockOptions): Entry<K, V>;
  /** Locks `key` if nobody holds or awaits it; never waits. */
  tryLock(key: K): Entry<K, V> | undefined;
  /** Locks `key` without blocking the event loop (the releasing thread wakes this one). Rejects `ERR_LOCK_TIMEOUT` / `ERR_ABORTED`. */
  lockAsync(key: K, options?: AsyncLockOptions): Promise<Entry<K, V>>;
  /** Locks every key (duplicates once) in one global order, blocking; on failure nothing stays locked. */
  batchLock(keys: KeyList<K>, options?: LockOptions): BatchEntry<K, V>;
  /** Like `batchLock`, without blocking the event loop; the timeout covers the whole batch. */
  batchLockAsync(keys: KeyList<K>, options?: AsyncLockOptions): Promise<BatchEntry<K, V>>;
  /** Locks a key (or, given an array, keys), runs fn, always releases; resolves to fn's result. */
  withLock<R>(key: K, fn: (entry: Entry<K, V>) => R | Promise<R>, options?: AsyncLockOptions): Promise<R>;
  withLock<R>(keys: readonly K[], fn: (batch: BatchEntry<K, V>) => R | Promise<R>, options?: AsyncLockOptions): Promise<R>;
  withLock<R>(
    keyOrKeys: K | readonly K[],
    fn: (held: Entry<K, V> | BatchEntry<K, V>) => R | Promise<R>,
    options?: AsyncLockOptions,
  ): Promise<R>;
  /** Key states alive (values, held or awaited keys): a diagnostic. */
  stateCount(): number;
  /**
   * Bytes of native memory the map holds: its tables, a state per live key
   * and the keys' and values' own heap blocks. A diagnostic; walks every entry.
   */
  nativeBytes(): number;
  readonly [Symbol.toStringTag]: string;
}

/** Hit, miss, eviction and expiration counts of an LruLockMap. */
export interface LruStats {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
}

/**
 * A LockMap with a hard bound on its size: a store past `capacity` evicts
 * the least recently used unlocked entry of its shard (LRU order is per
 * shard, so exact only with `shards: 1`); entries held or awaited are never
 * evicted. Optional TTL per map and per value: `set` gives a value its
 * `ttl` or the map's; writes that modify an existing value (`update`, `add`,
 * `compareAndSet`, `entry.value = v`) keep that value's own TTL and restart
 * its clock.
 */
export declare class LruLockMap<K extends Key = Key, V = unknown> extends LockMap<K, V> {
  constructor(options: LruLockMapOptions);
  /**
   * Creates a map holding `entries`, as `new Map(entries)` does: any iterable of [key, value] pairs (an array, a `Map`, another
   * threadmap map: a copy), a later duplicate key winning. Past `capacity`, the first entries are evicted. TypeError/RangeError for a bad entry or option; no map then.
   */
  constructor(entries: Iterable<readonly [K, V]>, options: LruLockMapOptions);
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): LruLockMap<K, V>;
  /**
   * The map `name` holds in this process: made by the first call in any
   * thread, with that call's options; every later call attaches to it, and
   * one that gives options must give the same (else a TypeError). Options are needed only where the constructor needs them (capacity) and the name holds no map yet. The name keeps the map alive until
   * `dropName(name)`. A name holding another class is a TypeError.
   */
  static named<K extends Key = Key, V = unknown>(name: string, options?: LruLockMapOptions): LruLockMap<K, V>;
  /** The bound on `size`. */
  readonly capacity: number;
  /** Stores a clone, with `ttl` (ms) overriding the map's (without it: the map's, also over a value that had its own). `ERR_CACHE_FULL` if no entry can be evicted. */
  set(key: K, value: V, options?: { ttl?: number }): this;
  /** The value without promoting it or counting a hit or a miss. */
  peek(key: K): V | undefined;
  stats(): LruStats;
  /** The value, or fn(key)'s result stored; across all threads at most one fn runs per key at a time, the others wait for its result; a throw or rejection reaches every waiting caller and nothing is stored. */
  getOrCompute(key: K, fn: (key: K) => V | Promise<V>): Promise<V>;
}

/** Options of `new LockFreeMap(options)`. Wrong types are a `TypeError`, out-of-range values a `RangeError`, unknown names a `TypeError`. */
export interface LockFreeMapOptions {
  /** Entries expected: the initial table holds them below a 0.75 load factor; it grows and shrinks from there, never below this (an integer in [0, 2^26]); default 0 (16 buckets). Not with `buckets`. */
  capacity?: number;
  /** A fixed bucket count, a power of two in [1, 2^26]: the table never resizes (chains grow instead). Not with `capacity`. */
  buckets?: number;
  /** As DashMapOptions.maxKeyBytes (default 65,536). */
  maxKeyBytes?: number;
  /** As DashMapOptions.maxValueBytes (default 64 MiB). */
  maxValueBytes?: number;
}

/** Options of `new HopscotchMap(options)`. */
export interface HopscotchMapOptions {
  /** Entries expected: the initial table holds them below a 0.75 load factor; it grows and shrinks from there, never below this (an integer in [0, 2^26]); default 0 (16 buckets). */
  capacity?: number;
  /** As DashMapOptions.maxKeyBytes (default 65,536). */
  maxKeyBytes?: number;
  /** As DashMapOptions.maxValueBytes (default 64 MiB). */
  maxValueBytes?: number;
}

/**
 * The Map-like core of the lock-free maps (LockFreeMap, HopscotchMap),
 * shared between threads by `handle` like DashMap. Reads never block and
 * never take a lock.
 *
 * The atomic operations are optimistic (CAS loops): `add`, `compareAndSet`,
 * `update` and `retain` read the key's value, decide, and install the
 * decision only if the key still holds what they read, else decide again.
 * So an `update`/`retain` callback may run MORE THAN ONCE for one call when
 * other threads write the same key meanwhile: only its last run counts, so
 * keep it free of side effects that must not repeat. A callback that throws
 * leaves its key unchanged. A callback may read its own map and use other
 * maps freely, but a write to its own map throws `ERR_WOULD_DEADLOCK` (it
 * would make the callback's own change lose its CAS forever).
 *
 * Iteration copies the map in parts of about 8,192 entries, split by hash
 * (`shardCount` of them, 1 for a small map), so a loop over a big map that
 * stops early copies little; weakly consistent: an entry present for the
 * whole loop is seen once, whatever resizes happen meanwhile.
 *
 * An interface (there is no such class at run time): LockFreeMap and
 * HopscotchMap each have all of it.
 */
export interface LockFreeMapCore<K extends Key = Key, V = unknown> extends Iterable<[K, V]> {
  /** The map's unforgeable SharedArrayBuffer handle: post it to a worker and pass it to `from`. Keeps the map alive while reachable. */
  readonly handle: SharedArrayBuffer;
  /** Number of entries: exact when no write runs concurrently, an estimate otherwise. Wait-free. */
  readonly size: number;
  /** The parts an iteration starting now copies one at a time (about 8,192 entries each; 1 for a small map). */
  readonly shardCount: number;

  /** A copy of the value for `key`, or undefined; lock-free. TypeError for an invalid key. */
  get(key: K): V | undefined;
  /** Stores a clone of `value` under `key`; returns the map. TypeError for an invalid key or an uncloneable value (map unchanged). */
  set(key: K, value: V): this;
  /** Whether `key` is present; lock-free. */
  has(key: K): boolean;
  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean;
  /** Removes every entry (not atomic as a whole). */
  clear(): void;
  /** Copies of the values of `keys`, in their order (undefined where absent). */
  getMany(keys: KeyList<K>): (V | undefined)[];
  /** Stores every [key, value] pair; validates every entry before changing any (each key atomic, not the batch). */
  setMany(entries: Iterable<readonly [K, V]>): this;
  /** Removes `keys`; returns how many were present. */
  deleteMany(keys: KeyList<K>): number;
  /**
   * Atomically adds `delta` (default 1) to a number value and returns the new value; an absent key counts from 0. A CAS loop: no update is lost under contention.
   * @throws TypeError if the stored value is not a number.
   */
  add(this: LockFreeMapCore<K, number>, key: K, delta?: number): number;
  /**
   * Atomically adds a bigint `delta` to a bigint value and returns the new value; an absent key counts from 0n. A CAS loop.
   * @throws TypeError if the stored value is not a bigint.
   */
  add(this: LockFreeMapCore<K, bigint>, key: K, delta: bigint): bigint;
  /** On a map whose values are declared `number | bigint`: adds a delta of the stored value's numeric type. */
  add(
    this: [V] extends [number | bigint] ? ([number | bigint] extends [V] ? LockFreeMapCore<K, V> : never) : never,
    key: K,
    delta?: number | bigint,
  ): number | bigint;
  /** The existing value for `key`, or `value` after inserting it; linearizable. */
  getOrInsert(key: K, value: V): V;
  /**
   * The existing value for `key`, or `fn(key)` after inserting it. `fn` runs with nothing held (it may use this map) when the key
   * is absent; if another thread inserts the key meanwhile, that value is returned and `fn`'s result dropped (so racing threads may
   * each run `fn` once). Linearizable as `getOrInsert`.
   */
  getOrInsertComputed(key: K, fn: (key: K) => V): V;
  /** Sets `key` to `value` only if its current value matches `expected` (undefined means "absent"); returns whether it did. Primitives match by SameValueZero, other values by cloned content. */
  compareAndSet(key: K, expected: V | undefined, value: V): boolean;
  /** Removes `key` and returns its value, or undefined if absent. */
  take(key: K): V | undefined;
  /**
   * Replaces the value of `key` with `fn(old)` (old is undefined when absent) and returns the new value; a result of undefined deletes the key.
   * `fn` runs with no lock held and MAY RUN MORE THAN ONCE: if another thread changes the key before the result is installed, `fn` runs again on the new value; only the last run's result is stored.
   * If `fn` throws (or returns an uncloneable value) the key is left as it was and the error reaches the caller.
   * A write to this map from `fn` throws `ERR_WOULD_DEADLOCK`; reads and other maps are fine.
   */
  update(key: K, fn: (old: V | undefined) => V | undefined): V | undefined;
  /**
   * Keeps the entries for which `fn(value, key)` is truthy and removes the others; returns how many it removed.
   * Visits every key present throughout once (one part of the hash space at a time, as iteration; a key added meanwhile may or may not be visited), one atomic decision per key; `fn` may run more than once for a key another thread changes meanwhile. A write to this map from `fn` throws `ERR_WOULD_DEADLOCK`.
   * If `fn` throws, retain stops there and the error reaches the caller (entries already removed stay removed).
   */
  retain(fn: (value: V, key: K) => unknown): number;
  /** Iterates the keys (byte keys as Buffer); weakly consistent. */
  keys(): IterableIterator<K>;
  /** Iterates copies of the values; weakly consistent. */
  values(): IterableIterator<V>;
  /** Iterates [key, value] pairs; weakly consistent. */
  entries(): IterableIterator<[K, V]>;
  /** Same as `entries()`. */
  [Symbol.iterator](): IterableIterator<[K, V]>;
  /** Calls `fn(value, key, map)` for every entry, like `Map#forEach`. */
  forEach(fn: (value: V, key: K, map: this) => void, thisArg?: unknown): void;
  /** The current number of buckets, a diagnostic. */
  bucketCount(): number;
  /**
   * Bytes of native memory the map holds: its table, its nodes (LockFreeMap,
   * and HopscotchMap with other than inline entries) and its keys' and values'
   * own heap blocks. Garbage still waiting for reclamation is not counted.
   * A diagnostic; walks every entry.
   */
  nativeBytes(): number;
  readonly [Symbol.toStringTag]: string;
}

/**
 * A lock-free chaining hash map (a port of kovan-map's HashMap): CAS on
 * bucket words, immutable chains, epoch-based reclamation; resizes without
 * blocking anyone (or never, with the `buckets` option). Every operation is
 * lock-free. See {@link LockFreeMapCore} for the contract of callbacks.
 */
export interface LockFreeMap<K extends Key = Key, V = unknown> extends LockFreeMapCore<K, V> {}
export declare class LockFreeMap<K extends Key = Key, V = unknown> {
  /** Creates an empty map in native memory. TypeError/RangeError for bad options. */
  constructor(options?: LockFreeMapOptions);
  /**
   * Creates a map holding `entries`, as `new Map(entries)` does: any iterable of [key, value] pairs (an array, a `Map`, another
   * threadmap map: a copy), a later duplicate key winning. TypeError/RangeError for a bad entry or option; no map then.
   */
  constructor(entries: Iterable<readonly [K, V]>, options?: LockFreeMapOptions);
  /** Attaches to a LockFreeMap created in any thread; `ERR_INVALID_HANDLE` (TypeError) for anything else. */
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): LockFreeMap<K, V>;
  /**
   * The map `name` holds in this process: made by the first call in any
   * thread, with that call's options; every later call attaches to it, and
   * one that gives options must give the same (else a TypeError). The name keeps the map alive until
   * `dropName(name)`. A name holding another class is a TypeError.
   */
  static named<K extends Key = Key, V = unknown>(name: string, options?: LockFreeMapOptions): LockFreeMap<K, V>;
}

/**
 * A hopscotch hash map (neighbourhood 32) whose reads never block or take a
 * lock, also during a resize. Writers take short spinlocks on the key's
 * neighbourhood (a resize makes them wait); user callbacks never run under
 * one. See {@link LockFreeMapCore} for the contract of callbacks.
 */
export interface HopscotchMap<K extends Key = Key, V = unknown> extends LockFreeMapCore<K, V> {}
export declare class HopscotchMap<K extends Key = Key, V = unknown> {
  constructor(options?: HopscotchMapOptions);
  /**
   * Creates a map holding `entries`, as `new Map(entries)` does: any iterable of [key, value] pairs (an array, a `Map`, another
   * threadmap map: a copy), a later duplicate key winning. TypeError/RangeError for a bad entry or option; no map then.
   */
  constructor(entries: Iterable<readonly [K, V]>, options?: HopscotchMapOptions);
  /** Attaches to a HopscotchMap created in any thread; `ERR_INVALID_HANDLE` (TypeError) for anything else. */
  static from<K extends Key = Key, V = unknown>(handle: SharedArrayBuffer): HopscotchMap<K, V>;
  /**
   * The map `name` holds in this process: made by the first call in any
   * thread, with that call's options; every later call attaches to it, and
   * one that gives options must give the same (else a TypeError). The name keeps the map alive until
   * `dropName(name)`. A name holding another class is a TypeError.
   */
  static named<K extends Key = Key, V = unknown>(name: string, options?: HopscotchMapOptions): HopscotchMap<K, V>;
}
