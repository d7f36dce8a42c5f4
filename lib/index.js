'use strict';
const { native } = require('./native');
const { DashMap } = require('./dash_map');
const { LockMap, LruLockMap, Entry, BatchEntry } = require('./lock_map');
const { LockFreeMap, HopscotchMap } = require('./lock_free_map');
const { codes } = require('./errors');

/** Native maps alive in this process (all threads): a diagnostic for leaks. */
function liveMaps() {
  return native.liveMaps();
}

/** This thread's held entries and queued async lock waits: a diagnostic for leaks. */
function heldLocks() {
  return native.heldEntries();
}

module.exports = {
  DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, Entry, BatchEntry, liveMaps, heldLocks, codes,
};
