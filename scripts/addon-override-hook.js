'use strict';
// Preloaded (NODE_OPTIONS=--require) by scripts/js-sanitize.js and
// scripts/test-node.js into the test process and every worker and child
// process it starts: a require of the addon at build/Release/threadmap.node
// loads the build named by THREADMAP_TEST_ADDON instead (the sanitized one,
// or one built for another Node version). Test tooling only; lib/ knows
// nothing of it.
const Module = require('node:module');
const path = require('node:path');

const plain = path.resolve(__dirname, '..', 'build', 'Release', 'threadmap.node');
const other = process.env.THREADMAP_TEST_ADDON;
if (other) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveOther(request, ...rest) {
    // lib/native.js asks for the addon by its absolute path.
    return path.isAbsolute(request) && path.resolve(request) === plain ? other : resolve.call(this, request, ...rest);
  };
}
