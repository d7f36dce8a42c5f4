#!/usr/bin/env node
'use strict';
// The JS suite (test/js) over the addon built with AddressSanitizer + UBSan:
// the native tests (scripts/native-tests.js --sanitize=address) cover the
// engines, this covers the addon's own code (Node-API glue, handles and
// their lifetime across workers, the codec, the lock hub) under the same
// JS calls as `npm run test:js`. Part of `npm run test:sanitize`.
//
// Node itself is not instrumented, so the sanitizer runtimes are preloaded
// (LD_PRELOAD) into node, and scripts/addon-override-hook.js (NODE_OPTIONS,
// so workers and child processes get it too) makes lib/native.js load the
// build in build-asan-addon. Options:
//   detect_leaks=0          LeakSanitizer would report Node's own allocations
//                           alive at exit; the maps' native memory is checked
//                           by the lifetime tests (liveMaps) instead.
//   allocator_may_return_null=1
//                           malloc returns null when it cannot allocate, as
//                           it does without ASan, so the addon's own
//                           out-of-memory paths run as they would.
//   halt_on_error=1         the first report fails the process, and the test.
// THREADMAP_TEST_SANITIZER=address lets tests skip what a sanitizer changes
// by design (a capped address space, resident memory with ASan's quarantine).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { runJsTests, withAddon, loadsAddon } = require('./test-js');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-asan-addon');
const addon = path.join(out, 'Release', 'threadmap.node');

function run(cmd, args, opts = {}) {
  process.stderr.write(`+ ${cmd} ${args.join(' ')}\n`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

// The runtime libraries of the compiler that builds the addon (cmake-js
// uses CXX, else c++).
function runtime(name) {
  const cxx = process.env.CXX || 'c++';
  const file = execFileSync(cxx, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  if (!path.isAbsolute(file) || !fs.existsSync(file)) {
    throw new Error(`js-sanitize: ${cxx} has no ${name} (install the compiler's sanitizer runtime)`);
  }
  return file;
}

try {
  const cmakeJs = path.join(root, 'node_modules', '.bin', 'cmake-js');
  run(cmakeJs, ['compile', '--out', out, '--CDTHREADMAP_SANITIZE=address']);
  const env = withAddon(addon, {
    ...process.env,
    LD_PRELOAD: [runtime('libasan.so'), runtime('libubsan.so')].join(':'),
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=0:halt_on_error=1:allocator_may_return_null=1',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'halt_on_error=1:print_stacktrace=1',
    THREADMAP_TEST_SANITIZER: 'address',
  });
  if (!loadsAddon(process.execPath, addon, env)) throw new Error('js-sanitize: the sanitized addon did not load');
  const status = runJsTests([], env);
  if (status !== 0) throw Object.assign(new Error(`the JS suite failed (exit ${status})`), { status });
} catch (err) {
  if (typeof err.status !== 'number') console.error(err.message);
  process.exitCode = typeof err.status === 'number' ? err.status : 1;
}
