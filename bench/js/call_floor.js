'use strict';
// What one call into the addon costs, next to Map.get, on maps that fit in
// cache (so memory latency does not hide it). A measurement, not an
// assertion. About 10 s.
//   node bench/js/call_floor.js
// Rows: Map.get; DashMap.get (the V8-level fast path, fast_path.hpp) on 1 and
// 1,000 string keys; a trivial Node-API ObjectWrap method of the same map
// (shardCount, which touches no table) for the floor of the full path.
const path = require('node:path');
const { DashMap } = require(path.resolve(__dirname, '..', '..'));

const CALLS = 2_000_000;

function best(fn) {
  let min = Infinity;
  for (let round = 0; round < 7; round++) {
    const t0 = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / CALLS);
  }
  return min;
}

function keysOf(n) {
  return Array.from({ length: n }, (_, i) => 'key:' + i);
}

let sink = 0;
for (const n of [1, 1000]) {
  const keys = keysOf(n);
  const map = new Map(keys.map((k, i) => [k, i]));
  const dash = new DashMap();
  keys.forEach((k, i) => dash.set(k, i));
  const mapNs = best(() => { for (let i = 0; i < CALLS; i++) sink += map.get(keys[i % n]); });
  const dashNs = best(() => { for (let i = 0; i < CALLS; i++) sink += dash.get(keys[i % n]); });
  console.log(`${n} key(s): Map.get ${mapNs.toFixed(1)} ns, DashMap.get ${dashNs.toFixed(1)} ns, ratio ${(dashNs / mapNs).toFixed(2)}x`);
}

// The Node-API half of a DashMap is a non-enumerable symbol-keyed property.
const dash = new DashMap();
const napiHalf = Object.getOwnPropertySymbols(dash).map((s) => dash[s]).find((o) => typeof o.shardCount === 'function');
const napiNs = best(() => { for (let i = 0; i < CALLS; i++) sink += napiHalf.shardCount(); });
console.log(`Node-API ObjectWrap method (shardCount): ${napiNs.toFixed(1)} ns per call`);
if (sink === -1) console.log(sink);
