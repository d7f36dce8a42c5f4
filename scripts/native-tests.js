#!/usr/bin/env node
'use strict';
// npm run test:native: configures, builds and runs the GoogleTest suite
// (test/native) with ctest. Build directory: build-native (or $THREADMAP_NATIVE_BUILD).
// With --sanitize=address|thread it builds into build-asan / build-tsan with
// that sanitizer instead.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');

const root = path.resolve(__dirname, '..');
const sanitize = (process.argv.find((a) => a.startsWith('--sanitize=')) || '').split('=')[1] || '';
const dir = process.env.THREADMAP_NATIVE_BUILD ||
  path.join(root, sanitize ? `build-${sanitize === 'address' ? 'asan' : 'tsan'}` : 'build-native');
const jobs = String(Math.max(1, os.cpus().length));

function run(cmd, args, opts = {}) {
  process.stderr.write(`+ ${cmd} ${args.join(' ')}\n`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

const config = ['-S', root, '-B', dir, '-DTHREADMAP_TESTS=ON', '-DCMAKE_BUILD_TYPE=' + (sanitize ? 'RelWithDebInfo' : 'Release')];
if (sanitize) config.push(`-DTHREADMAP_SANITIZE=${sanitize}`);
try {
  run('cmake', config);
  run('cmake', ['--build', dir, '-j', jobs]);
  const env = { ...process.env };
  if (sanitize === 'thread') env.TSAN_OPTIONS = env.TSAN_OPTIONS || 'halt_on_error=1 second_deadlock_stack=1';
  if (sanitize === 'address') env.ASAN_OPTIONS = env.ASAN_OPTIONS || 'detect_leaks=1 halt_on_error=1';
  if (sanitize === 'address') env.UBSAN_OPTIONS = env.UBSAN_OPTIONS || 'print_stacktrace=1 halt_on_error=1';
  run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', jobs], { env });
} catch (err) {
  process.exitCode = typeof err.status === 'number' ? err.status : 1;
}
