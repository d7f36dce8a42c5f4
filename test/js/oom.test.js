'use strict';
// Memory exhaustion on a giant value (issue 5, part 5) is a clean error, not
// an abort: a child process with its address space capped (ulimit -v) makes
// a 1 GiB Buffer, then stores it in each map class with maxValueBytes raised
// to allow it; the native copy cannot be allocated, and each store must be a
// RangeError('out of memory') that leaves the map empty.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { LIB } = require('./helpers');

// Under AddressSanitizer (scripts/js-sanitize.js) the capped address space
// cannot hold ASan's shadow memory, and ASan's operator new aborts instead
// of throwing bad_alloc: the test means nothing there.
const skip = process.platform !== 'linux' ? 'needs ulimit -v (Linux)'
  : process.env.THREADMAP_TEST_SANITIZER ? 'address-space cap and sanitizer allocator do not mix' : false;

test('a value too large to copy into native memory is a RangeError, not an abort', { skip }, () => {
  const code = `
    const t = require(${JSON.stringify(LIB)});
    let b;
    try { b = Buffer.alloc(2 ** 30, 1); } catch { console.log('skip: cannot allocate the source buffer'); process.exit(0); }
    const maps = [new t.DashMap({ maxValueBytes: 2 ** 32 - 1 }), new t.LockMap({ maxValueBytes: 2 ** 32 - 1 }),
      new t.LruLockMap({ capacity: 2, maxValueBytes: 2 ** 32 - 1 }), new t.LockFreeMap({ maxValueBytes: 2 ** 32 - 1 }),
      new t.HopscotchMap({ maxValueBytes: 2 ** 32 - 1 })];
    const out = maps.map((m) => {
      try { m.set('big', b); return 'stored'; } catch (e) { return e.constructor.name + ': ' + e.message + ', size ' + m.size; }
    });
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync('sh', ['-c', `ulimit -v 2200000 && exec "${process.execPath}" -e "$0"`, code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `no abort (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  if (r.stdout.startsWith('skip')) return;
  const results = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(results.length, 5);
  for (const line of results) assert.equal(line, 'RangeError: out of memory, size 0');
});
