'use strict';
// The Map-like core every map class shares: everything that is the same
// whatever the engine, written once over two native objects: the Node-API
// object in this[kNative] (native/addon/*_wrap.cc), for every call the fast
// object does not finish, and the V8-level fast path in this[kFast]
// (native/addon/fast_path.hpp): the hot methods for the common key and
// value types. A fast method returns
// FALLBACK when it cannot serve a call (another type, an error to report, a
// write it must refuse), before the map changed, and the call is repeated on
// the Node-API path. Every map class's fast object comes from one template,
// so these methods' call sites see one kind of fast object whatever classes
// a program uses (ByKind in native/addon/fast_path.cc). update and
// getOrInsertComputed are the fast object's too, but never fall back: there
// they are the full path's bodies (full_body). Subclasses add their
// engine's own members (LockMap's locks).
const { invalidHandle } = require('./errors');
const { checkOptionsShape } = require('./options');
const { native, FALLBACK } = require('./native');
const { inspect } = require('node:util');
const { isSharedArrayBuffer } = require('node:util').types;

const kNative = Symbol('threadmap.native');
const kSetMany = Symbol('threadmap.setMany');
const kFast = Symbol('threadmap.fast');
// Each wrapper's handle, made on first use and then the same object: kept
// beside the wrapper, not on it, so that a frozen or sealed map gives its
// handle too.
const handles = new WeakMap();

// util.inspect's options for the values inside an object being shown (one
// level deeper).
function nestedInspectOptions(options) {
  return { ...options, depth: options.depth === null ? null : options.depth - 1 };
}

// What every shared collection has, whatever it holds: its handle, its
// size, clear. MapCore (the maps) and DashSet build on it.
class SharedCore {
  /** A SharedArrayBuffer naming this map; post it to a worker and pass it to from(). */
  get handle() {
    let handle = handles.get(this);
    if (handle === undefined) {
      handle = this[kNative].handle();
      handles.set(this, handle);
    }
    return handle;
  }

  // size: MapCore's and DashSet's own getters, each over its fast object.
  get shardCount() { return this[kNative].shardCount(); }
  clear() { this[kNative].clear(); }
}

class MapCore extends SharedCore {
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
  // falls back with the map unchanged, and the full path reports it. They
  // stop at the first key they cannot write (one another holder has locked,
  // on a lock map; an error, on any map) and say how far they got (a
  // number; deleteMany: [written, removed]), and the full path does the
  // rest, waiting for that key or reporting the error. [kSetMany] stores entries split
  // into two plain arrays that lib/ made (splitEntries, or a constructor's
  // fillEntries: reading them runs no user code).
  [kSetMany](keys, values) {
    const r = this[kFast].setMany(keys, values);
    if (r === FALLBACK) this[kNative].setMany(keys, values);
    else if (r !== undefined) this[kNative].setMany(keys.slice(r), values.slice(r));
  }
  deleteMany(keys) {
    return deleteManyOf(this, toArray(keys, 'deleteMany: keys'));
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
  setMany(entries) {
    const { keys, values } = splitEntries(entries, 'setMany');
    this[kSetMany](keys, values);
    return this;
  }
  getOrInsertComputed(key, fn) {
    if (typeof fn !== 'function') throw new TypeError('getOrInsertComputed: fn must be a function');
    return this[kFast].getOrInsertComputed(key, fn);
  }
  update(key, fn) {
    if (typeof fn !== 'function') throw new TypeError('update: fn must be a function');
    return this[kFast].update(key, fn);
  }
  retain(fn) {
    if (typeof fn !== 'function') throw new TypeError('retain: fn must be a function');
    return this[kNative].retain(fn);
  }

  // Iteration is weakly consistent: it copies one shard at a time, so it sees
  // every entry present for its whole duration exactly once (ShardIterator).
  entries() { return new ShardIterator(this[kNative], ENTRIES, this.constructor.name); }
  keys() { return new ShardIterator(this[kNative], KEYS, this.constructor.name); }
  values() { return new ShardIterator(this[kNative], VALUES, this.constructor.name); }
  [Symbol.iterator]() { return this.entries(); }
  forEach(fn, thisArg) {
    if (typeof fn !== 'function') throw new TypeError('forEach: fn must be a function');
    const n = this[kNative];
    const shards = n.shardCount();
    for (let s = 0; s < shards; s++) {
      const flat = n.shardEntries(s, shards);
      for (let i = 0; i < flat.length; i += 2) fn.call(thisArg, flat[i + 1], flat[i], this);
    }
  }

  // console.log / util.inspect: the class, the size and the first entries, as
  // Node shows a Map. The native half is a non-enumerable symbol, so without
  // this a map showed as an empty object.
  [inspect.custom](depth, options, inspectValue) {
    return inspectCollection(this.constructor.name, this.size, this.entries(), depth, options,
      ([k, v], nested) => `${inspectValue(k, nested)} => ${inspectValue(v, nested)}`);
  }
}

// What a ShardIterator yields: [key, value], key, value, or a DashSet's
// [member, member].
const ENTRIES = 0;
const KEYS = 1;
const VALUES = 2;
const MEMBER_PAIRS = 3;

// The iterator of every collection's entries(), keys() and values(). It
// copies the next shard (or, for the lock-free maps, part of the hash
// space: as many parts as shardCount() said when the iteration started,
// see lock_free_wrap.cc) out of the native map only when it has handed out
// the last one's items: shardEntries gives [k0, v0, k1, v1, ...],
// shardKeys [k0, k1, ...] (no value decoded) and shardValues [v0, v1, ...]
// (no key decoded). Written by hand rather than
// as generators, which cost 30 ns or more per item here (bench/RESULTS.md,
// "Iteration and arrays in one step"); its prototype is %IteratorPrototype%,
// a generator's too.
class ShardIterator {
  #native;
  #kind;
  #name;
  #shards;
  #shard = 0;
  #items = [];
  #at = 0;

  // name: the collection's class, for util.inspect.
  constructor(nativeMap, kind, name, shards = nativeMap.shardCount()) {
    this.#native = nativeMap;
    this.#kind = kind;
    this.#name = name;
    this.#shards = shards;
  }

  next() {
    const step = this.#kind === ENTRIES ? 2 : 1;
    while (this.#at >= this.#items.length) {
      if (this.#shard >= this.#shards) return { value: undefined, done: true };
      const n = this.#native;
      switch (this.#kind) {
        case ENTRIES: this.#items = n.shardEntries(this.#shard, this.#shards); break;
        case VALUES: this.#items = n.shardValues(this.#shard, this.#shards); break;
        default: this.#items = n.shardKeys(this.#shard, this.#shards);
      }
      this.#shard++;
      this.#at = 0;
    }
    const items = this.#items;
    const i = this.#at;
    this.#at = i + step;
    switch (this.#kind) {
      case ENTRIES: return { value: [items[i], items[i + 1]], done: false };
      case MEMBER_PAIRS: return { value: [items[i], items[i]], done: false };
      default: return { value: items[i], done: false };
    }
  }

  get [Symbol.toStringTag]() { return 'threadmap Iterator'; }

  // console.log / util.inspect: what is left to iterate, as Node shows a Map
  // iterator (`[DashMap Entries] { [ 'a', 1 ] }`), without consuming it: a
  // copy of this iterator's position walks on, copying the later shards it
  // shows out of the map (for the view only: this iterator reads them again,
  // as they are then).
  [inspect.custom](depth, options, inspectValue) {
    const pairs = this.#kind === ENTRIES || this.#kind === MEMBER_PAIRS;
    const label = `[${this.#name} ${pairs ? 'Entries' : 'Iterator'}]`;
    if (depth < 0) return options.stylize(label, 'special');
    const view = new ShardIterator(this.#native, this.#kind, this.#name, this.#shards);
    view.#shard = this.#shard;
    view.#items = this.#items;
    view.#at = this.#at;
    const max = options.maxArrayLength ?? 100;
    const nested = nestedInspectOptions(options);
    const parts = [];
    for (let r = view.next(); !r.done; r = view.next()) {
      if (parts.length === max) {
        parts.push('...');
        break;
      }
      parts.push(inspectValue(r.value, nested));
    }
    return `${label} ${parts.length ? `{ ${parts.join(', ')} }` : '{}'}`;
  }
}
Object.setPrototypeOf(ShardIterator.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));

// What console.log shows of a shared collection: `Name(size) { item, ... }`,
// as Node shows a Map or Set: at most options.maxArrayLength items (100 by
// default), each shown by show(item, options one level deeper).
function inspectCollection(name, size, items, depth, options, show) {
  if (depth < 0) return options.stylize(`[${name}]`, 'special');
  const max = options.maxArrayLength ?? 100;
  const nested = nestedInspectOptions(options);
  const parts = [];
  if (max > 0) {
    for (const item of items) {
      parts.push(show(item, nested));
      if (parts.length >= max) break;
    }
  }
  const rest = size - parts.length;  // other threads may write meanwhile: only a hint
  if (rest > 0) parts.push(`... ${rest} more item${rest > 1 ? 's' : ''}`);
  return `${name}(${size}) ${parts.length ? `{ ${parts.join(', ')} }` : '{}'}`;
}

// A map's state is native, so structured clone (postMessage, workerData,
// structuredClone, another map's set) would copy a map as an empty plain
// object, and the receiver would find out only at its first call. Node 20
// gives a userland class no way to be cloned as itself, nor to refuse
// (worker.markAsUncloneable comes in Node 22.10), but structured clone does
// refuse a symbol, and names it in its DataCloneError: so every map has one
// own enumerable property, `uncloneable`, whose symbol says what to do.
const uncloneable = new Map();  // class name -> its symbol
function uncloneableSymbol(name) {
  let s = uncloneable.get(name);
  if (s === undefined) {
    s = Symbol(`a ${name} cannot be cloned or posted: post map.handle and call ${name}.from(handle) in the receiving thread`);
    uncloneable.set(name, s);
  }
  return s;
}

// Defines the native half of a map object (non-enumerable) and its clone
// guard (see uncloneableSymbol).
function attachNative(map, nativeMap) {
  Object.defineProperty(map, kNative, { value: nativeMap });
  Object.defineProperty(map, 'uncloneable', { value: uncloneableSymbol(nativeMap.constructor.name), enumerable: true });
  return map;
}

// Class.from(handle) for any map class: the native constructor attaches
// (and rejects a handle of another kind with ERR_INVALID_HANDLE).
function fromHandle(Class, NativeClass, handle, init) {
  // Not instanceof: an object made from SharedArrayBuffer.prototype passes
  // that, and a real one from another realm (node:vm) fails it.
  if (!isSharedArrayBuffer(handle)) {
    throw invalidHandle(`${Class.name}.from: the handle must be the SharedArrayBuffer of a ${Class.name} (map.handle)`);
  }
  const map = attachNative(Object.create(Class.prototype), new NativeClass(handle));
  if (init) init(map);
  return map;
}

// The options of a named() call as a string that another call's can be
// compared with, and shown: own options in name order, leaving out the
// undefined ones (as the constructors read them) and those given at their
// documented default, so that `{ capacity: 0 }` and `{}` (the same map)
// agree. Only defaults that do not depend on the machine: `shards` does, so
// it is always shown. The size limits' defaults come from the addon.
const optionDefaults = {
  capacity: 0, maxKeyBytes: native.defaultMaxKeyBytes, maxValueBytes: native.defaultMaxValueBytes, timeout: Infinity,
};
function optionsText(options) {
  const shown = {};
  for (const key of Object.keys(options ?? {}).sort()) {
    const value = options[key];
    if (value !== undefined && !Object.is(value, optionDefaults[key])) shown[key] = value;
  }
  return inspect(shown, { breakLength: Infinity, depth: 0 });
}

// Class.named(name, options?) for any map class: the map that `name` holds
// in this process (native/addon/registry.hpp), made by the first call, with
// that call's options; any thread's later calls attach to it, and those that
// give options must give the same (they cannot change the map).
// A name keeps its map alive until dropName(name).
//
// This thread's earlier answers are kept (namedCache: name -> the map
// object, held weakly, with its class name, its options text and the
// registry's names generation when it was looked up): while no name has been
// made or dropped anywhere since, a call returns the same object without
// the registry's mutex or a new wrapper (about 70 ns instead of several
// microseconds). Held weakly, the cache keeps no map alive that the program
// has let go of, so a dropped name's map is freed as before.
const namedCache = new Map();
function namedMap(Class, name, options) {
  if (typeof name !== 'string') {
    throw new TypeError(`${Class.name}.named: the name must be a string, got ${name === null ? 'null' : typeof name}`);
  }
  if (name.length === 0) throw new TypeError(`${Class.name}.named: the name must not be empty`);
  if (options !== undefined) checkOptionsShape(options, `${Class.name}.named`);
  const cached = namedCache.get(name);
  if (cached !== undefined && cached.generation === native.namesGeneration() && cached.className === Class.name) {
    const map = cached.map.deref();
    if (map !== undefined) {
      checkNamedOptions(Class, name, options, cached.madeWith);
      return map;
    }
  }
  let found = native.findNamed(name);
  let map;
  if (found === undefined) {
    const made = new Class(options);
    found = native.nameMap(name, made.handle, optionsText(options));
    if (found[4]) map = made;  // named by this call; else another thread's call named its map first
  }
  // generation: the name table's as of this answer, so the cached pair is
  // current exactly while namesGeneration() still says it.
  const [className, handle, madeWith, generation] = found;
  if (className !== Class.name) {
    throw new TypeError(`${Class.name}.named: the name ${JSON.stringify(name)} holds a ${className}, not a ${Class.name}`);
  }
  if (map === undefined) {
    checkNamedOptions(Class, name, options, madeWith);
    map = Class.from(handle);
  }
  namedCache.set(name, { map: new WeakRef(map), className, madeWith, generation });
  return map;
}

// A later named() call may give options only if they are the creating call's.
function checkNamedOptions(Class, name, options, madeWith) {
  if (options !== undefined && optionsText(options) !== madeWith) {
    throw new TypeError(`${Class.name}.named: ${JSON.stringify(name)} was made with options ${madeWith}, and this call gives ${
      optionsText(options)}: options apply only to the call that makes the map (omit them to attach)`);
  }
}

// [key, value] pairs as two arrays, every pair checked before any is used.
// An entry is read as new Map(entries) reads one: any object, its [0] the
// key and its [1] the value.
function splitEntries(entries, what) {
  const keys = [];
  const values = [];
  for (const entry of toArray(entries, `${what}: entries`)) {
    if (entry === null || (typeof entry !== 'object' && typeof entry !== 'function')) {
      throw new TypeError(`${what}: each entry must be a [key, value] pair`);
    }
    keys.push(entry[0]);
    values.push(entry[1]);
  }
  return { keys, values };
}

// The arguments of every map constructor: (options?) or, as `new
// Map(entries)` takes, (entries, options?), where entries is any iterable of
// [key, value] pairs (an array, a Map, another threadmap map). An options
// object is never iterable, so the first argument tells the two forms apart.
// Returns the entries split (or undefined) and the options, unchecked.
function constructorArgs(first, second, className) {
  if (first !== null && typeof first === 'object' && typeof first[Symbol.iterator] === 'function') {
    return [splitEntries(first, className), second];
  }
  if (second !== undefined) {
    throw new TypeError(`${className}: with two arguments the first must be an iterable of [key, value] entries: new ${className}(entries, options)`);
  }
  return [undefined, first];
}

// Stores a constructor's entries (see constructorArgs) in its new map, in
// order: a later duplicate key wins, as in new Map(entries).
function fillEntries(map, entries) {
  if (entries !== undefined && entries.keys.length > 0) map[kSetMany](entries.keys, entries.values);
}

// deleteMany(list) through the fast path, then the full path for what it
// left: everything (FALLBACK) or the keys after the first it could not
// remove ([done, removed]); see [kSetMany].
function deleteManyOf(map, list) {
  const r = map[kFast].deleteMany(list);
  if (r === FALLBACK) return map[kNative].deleteMany(list);
  return typeof r === 'number' ? r : r[1] + map[kNative].deleteMany(list.slice(r[0]));
}

// A byte key's content as a string, one char per byte: what a JS Map can
// key it by where the maps compare byte keys by content (a batch's
// entries, a DashSet's set algebra). Only ever next to other byte keys'
// texts, never to string keys, which could equal it.
function bytesText(view) {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('latin1');
}

// A list argument as an array. A string or a byte array is iterable, but it
// is one key: taken as a list, deleteMany('ab') would delete 'a' and 'b'.
// `copy`: an array is copied too (each element read once), for callers that
// read the list more than once (batch locks order it, then lock it: a getter
// answering differently the second time must not change what is locked).
function toArray(iterable, what, copy = false) {
  if (Array.isArray(iterable)) return copy ? Array.from(iterable) : iterable;
  if (typeof iterable === 'string' || ArrayBuffer.isView(iterable)) {
    const single = what.endsWith('keys') ? ', which is a single key (wrap it: [key])' : '';
    throw new TypeError(`${what} must be an array or other iterable, not a ${typeof iterable === 'string' ? 'string' : 'byte array'}${single}`);
  }
  if (iterable === null || iterable === undefined || typeof iterable[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} must be iterable`);
  }
  return Array.from(iterable);
}

// dropName's part: this thread's cached answer for the name goes too (the
// generation would make it stale anyway; this keeps the cache to live names).
function forgetNamed(name) {
  namedCache.delete(name);
}

// Gives a map (or DashSet) its fast object, as a hidden property.
function attachFast(map) {
  Object.defineProperty(map, kFast, { value: map[kNative].fastPath() });
}

module.exports = {
  kFast, attachFast, SharedCore, MapCore, nestedInspectOptions, inspectCollection, ShardIterator, KEYS, MEMBER_PAIRS, kNative, kSetMany, attachNative, fromHandle, namedMap, forgetNamed, toArray, bytesText, deleteManyOf, constructorArgs, fillEntries,
};
