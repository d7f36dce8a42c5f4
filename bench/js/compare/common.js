'use strict';
// Helpers shared by the comparison benchmark's runner, workers and
// single-thread child (bench/js/compare/).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');

const { CTL } = require('../harness');
const { median } = require('../stats');

// Cores other processes may use during a window before its figure is
// marked noisy (as bench/js/run.js).
const BUSY = 0.25;

const log = (msg) => process.stderr.write(msg + '\n');

function fmtOps(x) {
  if (x >= 1e6) return (x / 1e6).toFixed(2) + ' M/s';
  if (x >= 1e3) return (x / 1e3).toFixed(1) + ' k/s';
  return x.toFixed(0) + ' /s';
}

// `count` pseudo-random indices in [0, n) (xorshift32 from `seed`): made
// before any timing, so every contender walks the same key sequence.
function randomIndices(n, seed, count) {
  const idx = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    idx[i] = x % n;
  }
  return idx;
}

const keyOf = (i) => 'key:' + i;

module.exports = { ROOT, CTL, BUSY, log, median, fmtOps, randomIndices, keyOf };
