'use strict';
// One worker of the aggregate-throughput benchmark (started by run.js).
// workerData: { impl: 'dash' | 'dash-private' | 'map', mix: 'getset' | 'add', handle, ctl, n, seed }
//   impl 'dash':         DashMap.from(handle), the one map shared by every worker.
//   impl 'dash-private': a DashMap of its own per worker (no data shared: shows
//                        whether any cost is process-wide rather than per map).
//   impl 'map':          a private JS Map of the same data (the ideal scaling: no sharing).
//   mix 'getset': 90% get / 10% set; mix 'add': 100% add (counter increments).
// Barrier on ctl (Int32Array over a SharedArrayBuffer): every worker does its
// setup, bumps READY, then Atomics.wait()s on GO; the parent flips GO, then
// STOP after the fixed duration. Each worker reports its ops and elapsed time.
const path = require('node:path');
const { workerData, parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { DashMap } = require(path.resolve(__dirname, '..', '..'));

const READY = 0;
const GO = 1;
const STOP = 2;

const { impl, mix, handle, n, seed } = workerData;
const ctl = new Int32Array(workerData.ctl);

const keys = new Array(n);
for (let i = 0; i < n; i++) keys[i] = 'key:' + i;

// Pre-generated random key indices (xorshift32), cycled.
const IDX_BITS = 20;
const MASK = (1 << IDX_BITS) - 1;
const idx = new Uint32Array(1 << IDX_BITS);
{
  let x = seed >>> 0 || 1;
  for (let i = 0; i < idx.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    idx[i] = x % n;
  }
}

let m;
if (impl === 'dash') {
  m = DashMap.from(handle);
} else if (impl === 'dash-private') {
  m = new DashMap();
  for (let i = 0; i < n; i++) m.set(keys[i], i);
} else {
  m = new Map();
  for (let i = 0; i < n; i++) m.set(keys[i], i);
}

const CHUNK = 1000; // ops between two looks at the STOP flag

function runGetSet(map) {
  let ops = 0;
  let j = 0;
  let s = 0;
  while (Atomics.load(ctl, STOP) === 0) {
    for (let c = 0; c < CHUNK; c++) {
      const k = keys[idx[j]];
      j = (j + 1) & MASK;
      if (c % 10 === 0) map.set(k, j);
      else { const v = map.get(k); if (v !== undefined) s += v; }
    }
    ops += CHUNK;
  }
  return [ops, s];
}

function runAdd(map) {
  let ops = 0;
  let j = 0;
  let s = 0;
  while (Atomics.load(ctl, STOP) === 0) {
    for (let c = 0; c < CHUNK; c++) {
      const k = keys[idx[j]];
      j = (j + 1) & MASK;
      s += map.add(k, 1);
    }
    ops += CHUNK;
  }
  return [ops, s];
}

// The same work on a private Map: m.set(k, (m.get(k) ?? 0) + 1).
function runAddMap(map) {
  let ops = 0;
  let j = 0;
  let s = 0;
  while (Atomics.load(ctl, STOP) === 0) {
    for (let c = 0; c < CHUNK; c++) {
      const k = keys[idx[j]];
      j = (j + 1) & MASK;
      const v = (map.get(k) ?? 0) + 1;
      map.set(k, v);
      s += v;
    }
    ops += CHUNK;
  }
  return [ops, s];
}

Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
Atomics.wait(ctl, GO, 0);
const t0 = performance.now();
const [ops, s] = mix === 'getset' ? runGetSet(m) : impl === 'map' ? runAddMap(m) : runAdd(m);
const t1 = performance.now();
parentPort.postMessage({ ops, ms: t1 - t0, sink: s & 1 });
