'use strict';
// Loads the addon once per thread (each worker gets its own instance data)
// and gives it what its value codec needs from JS: the deep equality of
// compareAndSet, and the fast path's sentinels. (Objects are cloned by V8's
// structured-clone serializer, called from native/addon/clone.cc.)
const path = require('node:path');
const util = require('node:util');

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

// What the fast path (native/addon/fast_path.hpp) returns when a call needs
// the full Node-API path: a type it does not handle, or an error to report.
const FALLBACK = Symbol('threadmap.fallback');
// What an LruLockMap's fast get returns for a value it found and counted but
// cannot decode itself: the caller peeks it (no second count).
const COUNTED = Symbol('threadmap.counted');

// compareAndSet matches object values by content: the addon deserializes both
// clones (their bytes can differ for equal content: V8 writes a number as a
// small integer or a double depending on how it holds it) and asks this.
native.setCodec({ deepEqual: util.isDeepStrictEqual, fallback: FALLBACK, counted: COUNTED });

module.exports = { native, FALLBACK, COUNTED };
