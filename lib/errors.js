'use strict';
// Error codes of DESIGN.md. Engine errors reach JS as an Error (TypeError for
// ERR_INVALID_HANDLE) whose `code` is one of these.
const codes = Object.freeze({
  ERR_WOULD_DEADLOCK: 'ERR_WOULD_DEADLOCK',
  ERR_LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  ERR_ABORTED: 'ERR_ABORTED',
  ERR_INVALID_HANDLE: 'ERR_INVALID_HANDLE',
  ERR_ENTRY_RELEASED: 'ERR_ENTRY_RELEASED',
});

function invalidHandle(message) {
  const err = new TypeError(message);
  err.code = codes.ERR_INVALID_HANDLE;
  return err;
}

module.exports = { codes, invalidHandle };
