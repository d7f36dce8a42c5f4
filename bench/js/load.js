'use strict';
// CPU time other processes used during a window, in cores (Linux only: from
// /proc/stat minus this process's own CPU time, all its threads included).
// The machine may be shared; figures measured while others ran get marked.
const fs = require('node:fs');

function cpuSnapshot() {
  let busy = null;
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = f[3] + (f[4] || 0); // idle + iowait
    busy = f.reduce((a, b) => a + b, 0) - idle; // user..steal, in USER_HZ (1/100 s) ticks
  } catch { /* not Linux */ }
  return { busy, own: process.cpuUsage(), t: process.hrtime.bigint() };
}

function otherLoad(a, b) {
  if (a.busy === null || b.busy === null) return null;
  const wall = Number(b.t - a.t) / 1e9;
  const own = (b.own.user + b.own.system - a.own.user - a.own.system) / 1e6;
  return Math.max(0, ((b.busy - a.busy) / 100 - own) / wall);
}

module.exports = { cpuSnapshot, otherLoad };

// Blocks until other processes used less than `threshold` cores over one
// `windowMs` window, or `maxMs` have passed. Returns whether it saw idle.
function waitIdle(maxMs, threshold = 0.1, windowMs = 500) {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + maxMs;
  for (;;) {
    const a = cpuSnapshot();
    if (a.busy === null) return false;
    Atomics.wait(cell, 0, 0, windowMs);
    const load = otherLoad(a, cpuSnapshot());
    if (load < threshold) return true;
    if (Date.now() >= end) return false;
  }
}

module.exports.waitIdle = waitIdle;
