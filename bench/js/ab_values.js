'use strict';
// A/B of `set` (over existing keys: each replaces a value of its own) or
// `get` with values that are strings or objects, both builds in one
// process as bench/js/ab.js loads them, 15 alternated rounds; prints the
// medians, ns per call, A -> B.
//
//   node bench/js/ab_values.js A_DIR B_DIR Class str|obj [set|get]
const path = require('node:path');
const [aDir, bDir, cls, kind, op = 'set'] = process.argv.slice(2);
const builds = { A: require(path.resolve(aDir)), B: require(path.resolve(bDir)) };
const n = 1000;
const keys = Array.from({ length: n }, (_, i) => 'key' + i);
const vals = kind === 'obj'
  ? Array.from({ length: n }, (_, i) => ({ i, name: 'x'.repeat(40) }))
  : Array.from({ length: n }, (_, i) => 'value-string-' + 'y'.repeat(20) + i);
const maps = {};
for (const b of ['A', 'B']) { maps[b] = new builds[b][cls](); for (let i = 0; i < n; i++) maps[b].set(keys[i], vals[i]); }
const res = { A: [], B: [] };
const CALLS = kind === 'obj' ? 200000 : 1000000;
for (let r = 0; r < 15; r++) {
  for (const b of (r & 1 ? ['B', 'A'] : ['A', 'B'])) {
    const m = maps[b];
    const t = process.hrtime.bigint();
    if (op === 'get') for (let i = 0; i < CALLS; i++) m.get(keys[i % n]);
    else for (let i = 0; i < CALLS; i++) m.set(keys[i % n], vals[(i * 7) % n]);
    res[b].push(Number(process.hrtime.bigint() - t) / CALLS);
  }
}
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(`${cls} ${op} (${kind}): ${med(res.A).toFixed(1)} -> ${med(res.B).toFixed(1)} ns`);
