'use strict';
// Loads the addon once per thread (each worker gets its own instance data)
// and gives it the value codec for objects: node:v8's structured-clone
// serializer.
const path = require('node:path');
const util = require('node:util');
const v8 = require('node:v8');

const native = require(path.join(__dirname, '..', 'build', 'Release', 'threadmap.node'));

// node:v8's serializer, except that a value structured clone rejects (a
// function, a symbol, a WeakMap, ...) is a TypeError. Any other error (a
// throwing getter, ERR_WOULD_DEADLOCK from a getter that calls back into a
// map) passes through as it is, as structuredClone does.
class Serializer extends v8.DefaultSerializer {
  _getDataCloneError(message) {
    return new TypeError(`invalid value: it cannot be cloned (${message})`);
  }

  // Structured clone shares a SharedArrayBuffer; a map could only copy it,
  // which would silently break the sharing its writer expects.
  _getSharedArrayBufferId() {
    throw new TypeError('invalid value: a SharedArrayBuffer cannot be stored in a map (it would be copied, not shared)');
  }
}

function serialize(value) {
  const s = new Serializer();
  s.writeHeader();
  s.writeValue(value);
  return s.releaseBuffer();
}

function deserialize(bytes) {
  return v8.deserialize(bytes);
}

// compareAndSet matches objects by cloned content. Two serializations of
// equal content can differ in bytes (V8 writes a number as a small integer
// or as a double depending on how it holds it), so when the bytes differ
// the contents are compared.
function contentEqual(a, b) {
  return util.isDeepStrictEqual(v8.deserialize(a), v8.deserialize(b));
}

// What the fast path (native/addon/fast_path.hpp) returns when a call needs
// the full Node-API path: a type it does not handle, or an error to report.
const FALLBACK = Symbol('threadmap.fallback');
// What an LruLockMap's fast get returns for a value it found and counted but
// cannot decode itself: the caller peeks it (no second count).
const COUNTED = Symbol('threadmap.counted');

native.setCodec({ serialize, deserialize, contentEqual, fallback: FALLBACK, counted: COUNTED });

module.exports = { native, FALLBACK, COUNTED };
