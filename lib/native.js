'use strict';
// Loads the addon once per thread (each worker gets its own instance data)
// and gives it the value codec for objects: node:v8's structured-clone
// serializer.
const path = require('node:path');
const util = require('node:util');
const v8 = require('node:v8');

const addonPath = path.join(__dirname, '..', 'build', 'Release', 'threadmap.node');

// The addon is built by the package's install script (cmake-js). When that
// script did not run, say so and how to run it, instead of a bare
// "Cannot find module": npm 12 skips a dependency's install script until
// the project approves it (npm 11.16 and later only warn).
function loadAddon() {
  try {
    return require(addonPath);
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(addonPath)) throw err;
    const e = new Error(
      `threadmap: the native addon is not built (${addonPath} is missing). ` +
        "It is built by threadmap's install script, which did not run or failed. " +
        'npm 12 runs a dependency\'s install script only once the project approves it: ' +
        'run `npm install-scripts approve threadmap`, then `npm rebuild threadmap`. ' +
        'The build needs CMake >= 3.20 and a C++20 compiler; `npm rebuild threadmap --foreground-scripts` shows its output.',
      { cause: err },
    );
    e.code = err.code;
    throw e;
  }
}

const native = loadAddon();

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

  // The same for a view of one (node:v8 writes views as host objects,
  // copying their bytes); the native codec sends such a view here too.
  _writeHostObject(object) {
    if (ArrayBuffer.isView(object) && util.types.isSharedArrayBuffer(object.buffer)) {
      throw new TypeError('invalid value: a view of a SharedArrayBuffer cannot be stored in a map (it would be copied, not shared); '
        + 'store a copy (e.g. new Uint8Array(view)) or post the SharedArrayBuffer itself');
    }
    return super._writeHostObject(object);
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
