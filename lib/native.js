'use strict';
// Loads the addon once per thread (each worker gets its own instance data)
// and gives it what its value codec needs from JS: the deep equality of
// compareAndSet, and the fast path's sentinels. (Objects are cloned by V8's
// structured-clone serializer, called from native/addon/clone.cc.)
const util = require('node:util');

const { builtPath, prebuiltPath } = require('./addon_path');

// A build made on this machine first (the install script makes one when the
// package has no prebuilt addon for this platform and Node; so does `npm
// run build` in a checkout), then the package's prebuilt one
// (lib/addon_path.js). When neither is there, say why and what to do,
// instead of a bare "Cannot find module": npm 12 skips a dependency's
// install script until the project approves it (npm 11.16 and later only
// warn), so a platform without a prebuilt addon gets no build.
function loadAddon() {
  let missing;
  try {
    return require(builtPath);
  } catch (err) {
    if (!isMissing(err, builtPath)) throw err;
    missing = err;
  }
  const prebuilt = prebuiltPath();
  try {
    return require(prebuilt);
  } catch (err) {
    if (!isMissing(err, prebuilt)) {
      const e = new Error(
        `threadmap: the prebuilt addon ${prebuilt} does not load in this process (${err.message}). ` +
          'Build it from source instead: `THREADMAP_BUILD_FROM_SOURCE=1 npm rebuild threadmap` ' +
          '(needs CMake >= 3.20 and a C++20 compiler).',
        { cause: err },
      );
      e.code = err.code;
      throw e;
    }
  }
  const e = new Error(
    `threadmap: the native addon is not built (${builtPath} is missing), and the package has no prebuilt one ` +
      `for this platform and Node version (${prebuilt}). ` +
      "It is built by threadmap's install script, which did not run or failed. " +
      'npm 12 runs a dependency\'s install script only once the project approves it: ' +
      'run `npm install-scripts approve threadmap`, then `npm rebuild threadmap`. ' +
      'The build needs CMake >= 3.20 and a C++20 compiler; `npm rebuild threadmap --foreground-scripts` shows its output.',
    { cause: missing },
  );
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

function isMissing(err, file) {
  return err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file);
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
