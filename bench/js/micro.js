'use strict';
// Single-thread microbenchmarks: DashMap vs JS Map for get / set / add.
// Run by run.js as a child process, once per key type, so that each key type
// gets a fresh isolate (fresh JIT feedback, fresh heap):
//   node --expose-gc bench/js/micro.js str|int [rounds] [warmup] [waitIdleSeconds]
// Prints one JSON object on stdout. A measurement, never an assertion.
const path = require('node:path');
const { DashMap } = require(path.resolve(__dirname, '..', '..'));
const { cpuSnapshot, otherLoad, waitIdle } = require('./load');
const { median } = require('./stats');

const N = 100_000;
const keyType = process.argv[2] || 'str';
const ROUNDS = Number(process.argv[3] || 15);
const WARMUP = Number(process.argv[4] || 5);
const WAIT_IDLE_S = Number(process.argv[5] || 0);

// Deterministic PRNG (mulberry32) so both maps see the same access order.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Keys, pre-generated outside every timed loop.
const keys = new Array(N);
for (let i = 0; i < N; i++) keys[i] = keyType === 'str' ? 'key:' + i : i;
// Access order: one random permutation of the keys, the same for both maps.
const order = keys.slice();
{
  const r = rng(12345);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
}

// One function per (map kind, op) so each call site stays monomorphic.
function dashGet(m, ks) {
  let s = 0;
  for (let i = 0; i < ks.length; i++) { const v = m.get(ks[i]); if (v !== undefined) s += v; }
  return s;
}
function mapGet(m, ks) {
  let s = 0;
  for (let i = 0; i < ks.length; i++) { const v = m.get(ks[i]); if (v !== undefined) s += v; }
  return s;
}
function dashSet(m, ks, base) {
  for (let i = 0; i < ks.length; i++) m.set(ks[i], base + i);
  return base;
}
function mapSet(m, ks, base) {
  for (let i = 0; i < ks.length; i++) m.set(ks[i], base + i);
  return base;
}
function dashAdd(m, ks) {
  let s = 0;
  for (let i = 0; i < ks.length; i++) s += m.add(ks[i], 1);
  return s;
}
function mapAdd(m, ks) {
  let s = 0;
  for (let i = 0; i < ks.length; i++) { const k = ks[i]; const v = (m.get(k) ?? 0) + 1; m.set(k, v); s += v; }
  return s;
}

function fill(m) {
  for (let i = 0; i < N; i++) m.set(keys[i], i);
  return m;
}

let sink = 0;
let waitedMs = 0;
function timeRound(fn, m, round) {
  const t0 = process.hrtime.bigint();
  sink += fn(m, order, round) & 1;
  const t1 = process.hrtime.bigint();
  return Number(t1 - t0) / N;
}

// Warm-up, then ROUNDS measured rounds alternating DashMap / Map, so that a
// drift of the machine's speed hits both sides alike.
function compare(op, dashFn, mapFn) {
  const dm = fill(new DashMap());
  const jm = fill(new Map());
  for (let r = 0; r < WARMUP; r++) { timeRound(dashFn, dm, r); timeRound(mapFn, jm, r); }
  if (global.gc) global.gc();
  const tw = Date.now();
  const idle = !WAIT_IDLE_S || waitIdle(WAIT_IDLE_S * 1000);
  waitedMs += Date.now() - tw;
  if (!idle) process.stderr.write('  (machine still busy after waiting; measuring anyway)\n');
  const dash = [];
  const map = [];
  const snap0 = cpuSnapshot();
  for (let r = 0; r < ROUNDS; r++) {
    if (r & 1) { map.push(timeRound(mapFn, jm, r)); dash.push(timeRound(dashFn, dm, r)); }
    else { dash.push(timeRound(dashFn, dm, r)); map.push(timeRound(mapFn, jm, r)); }
  }
  const load = otherLoad(snap0, cpuSnapshot());
  // Sanity (not timed): both maps hold the same data after the same ops.
  let same = dm.size === jm.size;
  for (let i = 0; same && i < N; i += 997) same = dm.get(keys[i]) === jm.get(keys[i]);
  const dashNs = median(dash);
  const mapNs = median(map);
  process.stderr.write(`  micro ${op.padEnd(3)} ${keyType} keys: DashMap ${dashNs.toFixed(1)} ns/op, Map ${mapNs.toFixed(1)} ns/op, ratio ${(dashNs / mapNs).toFixed(2)}${load !== null && load >= 0.25 ? ` [other processes used ${load.toFixed(2)} cores: noisy]` : ''}\n`);
  return { op, keys: keyType, n: N, rounds: ROUNDS, warmup: WARMUP, dashNsPerOp: dashNs, mapNsPerOp: mapNs, ratio: dashNs / mapNs, otherLoad: load, sameContents: same, dashRounds: dash, mapRounds: map };
}

const results = [
  compare('get', dashGet, mapGet),
  compare('set', dashSet, mapSet),
  compare('add', dashAdd, mapAdd),
];
process.stdout.write(JSON.stringify({ results, sink, waitedMs }) + '\n');
