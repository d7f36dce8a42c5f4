'use strict';
// Object values (stored as structured-clone bytes) from JS, one thread:
// set and get of 200,000 small objects, on DashMap, LockMap and
// LockFreeMap, against a JS Map (which stores the reference, not a copy)
// and structuredClone (a copy, nothing shared) of the same objects. Then
// setMany of 500,000 [key, object] pairs on a DashMap: its time and the
// growth of the process's peak RSS across the call.
//   node --expose-gc bench/js/objects.js
// Rounds 2-4 of each loop, the best of them. A measurement, never an assertion.
const path = require('node:path');
const { DashMap, LockMap, LockFreeMap } = require(path.resolve(__dirname, '..', '..'));

const n = 200000;
const values = Array.from({ length: n }, (_, i) => ({ i, name: 'x'.repeat(40), tags: ['a', 'b'], at: new Date(i) }));

function best(loop) {
  let ns = Infinity;
  for (let r = 0; r < 4; r++) {
    const t = process.hrtime.bigint();
    loop();
    if (r > 0) ns = Math.min(ns, Number(process.hrtime.bigint() - t) / n);
  }
  return ns;
}

for (const Class of [DashMap, LockMap, LockFreeMap]) {
  const m = new Class();
  const set = best(() => { for (let i = 0; i < n; i++) m.set(i, values[i]); });
  const get = best(() => { for (let i = 0; i < n; i++) m.get(i); });
  console.log(`${Class.name.padEnd(12)} set ${set.toFixed(0).padStart(6)} ns   get ${get.toFixed(0).padStart(6)} ns`);
}
{
  const m = new Map();
  const set = best(() => { for (let i = 0; i < n; i++) m.set(i, values[i]); });
  const get = best(() => { for (let i = 0; i < n; i++) m.get(i); });
  const clone = best(() => { for (let i = 0; i < n; i++) structuredClone(values[i]); });
  console.log(`${'Map'.padEnd(12)} set ${set.toFixed(0).padStart(6)} ns   get ${get.toFixed(0).padStart(6)} ns   structuredClone ${clone.toFixed(0)} ns`);
}
{
  const many = 500000;
  const entries = Array.from({ length: many }, (_, i) => [`key-number-${i}`, { i, name: 'x'.repeat(40) }]);
  const m = new DashMap();
  global.gc?.();
  const before = process.resourceUsage().maxRSS;
  const t = Date.now();
  m.setMany(entries);
  console.log(`DashMap.setMany of ${many} objects: ${Date.now() - t} ms, peak RSS +${((process.resourceUsage().maxRSS - before) / 1024).toFixed(0)} MB`);
}
