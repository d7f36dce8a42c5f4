'use strict';
// Error codes of DESIGN.md (plus ERR_CACHE_FULL, see README). Engine errors
// reach JS as an Error (TypeError for ERR_INVALID_HANDLE) whose `code` is
// one of these; the helpers below make the ones raised in lib/.
const codes = Object.freeze({
  ERR_WOULD_DEADLOCK: 'ERR_WOULD_DEADLOCK',
  ERR_LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  ERR_ABORTED: 'ERR_ABORTED',
  ERR_INVALID_HANDLE: 'ERR_INVALID_HANDLE',
  ERR_ENTRY_RELEASED: 'ERR_ENTRY_RELEASED',
  ERR_CACHE_FULL: 'ERR_CACHE_FULL',
});

function withCode(err, code) {
  err.code = code;
  return err;
}

function invalidHandle(message) {
  return withCode(new TypeError(message), codes.ERR_INVALID_HANDLE);
}

function lockTimeout(what) {
  return withCode(new Error(`${what}: timed out waiting for the lock of a key`), codes.ERR_LOCK_TIMEOUT);
}

function aborted(what, signal) {
  const err = withCode(new Error(`${what}: aborted`), codes.ERR_ABORTED);
  if (signal && signal.reason !== undefined) err.cause = signal.reason;
  return err;
}

function entryReleased() {
  return withCode(new Error('the entry was released: its lock is gone'), codes.ERR_ENTRY_RELEASED);
}

module.exports = { codes, invalidHandle, lockTimeout, aborted, entryReleased };
