'use strict';
// Preloaded (NODE_OPTIONS=--require) by scripts/js-sanitize.js into the
// test process and every worker and child process it starts: a require of
// the addon at build/Release/threadmap.node loads the sanitized build named
// by THREADMAP_SANITIZED_ADDON instead. Test tooling only; lib/ knows
// nothing of it.
const Module = require('node:module');
const path = require('node:path');

const plain = path.resolve(__dirname, '..', 'build', 'Release', 'threadmap.node');
const sanitized = process.env.THREADMAP_SANITIZED_ADDON;
if (sanitized) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveSanitized(request, ...rest) {
    // lib/native.js asks for the addon by its absolute path.
    return path.isAbsolute(request) && path.resolve(request) === plain ? sanitized : resolve.call(this, request, ...rest);
  };
}
