'use strict';
const { native } = require('./native');
const { DashMap } = require('./dash_map');
const { DashSet } = require('./dash_set');
const { LockMap, LruLockMap, Entry, BatchEntry } = require('./lock_map');
const { LockFreeMap, HopscotchMap } = require('./lock_free_map');
const { codes } = require('./errors');
const { forgetNamed } = require('./map_core');

/** Native maps alive in this process (all threads): a diagnostic for leaks. */
function liveMaps() {
  return native.liveMaps();
}

/** The names that hold a map (Class.named), in no particular order. */
function namedMaps() {
  return native.mapNames();
}

/**
 * Frees a name (Class.named); its map lives on while a wrapper or handle in
 * any thread reaches it. Returns whether the name held a map.
 */
function dropName(name) {
  if (typeof name !== 'string') throw new TypeError(`dropName: the name must be a string, got ${name === null ? 'null' : typeof name}`);
  forgetNamed(name);
  return native.dropName(name);
}

/** This thread's held entries and queued async lock waits: a diagnostic for leaks. */
function heldLocks() {
  return native.heldEntries();
}

module.exports = {
  DashMap, DashSet, LockMap, LruLockMap, LockFreeMap, HopscotchMap, Entry, BatchEntry, liveMaps, heldLocks, namedMaps, dropName, codes,
};
