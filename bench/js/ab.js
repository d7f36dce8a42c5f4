'use strict';
// A/B of two builds of the addon in one process: both are loaded (each
// from its own checkout, built with `npm run build`) and timed in
// alternation, 15 short rounds per operation, so that the phases of a noisy
// host hit both alike. Prints the median ns per call, A -> B.
//
//   node bench/js/ab.js A_DIR B_DIR [Class ...]
//
// A_DIR, B_DIR: checkouts whose build/ holds the addon (e.g. a
// `git worktree add` of the base commit, and this repository). Classes:
// DashMap, LockFreeMap, HopscotchMap (default: all three), each in a
// process of its own (a call site that has seen several classes turns
// megamorphic and leaves V8's fast API path). Operations on 1,000 string
// keys holding numbers: get, set, add, delete + set.
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const [aDir, bDir, ...classes] = process.argv.slice(2);
if (!aDir || !bDir) {
  console.error('usage: node bench/js/ab.js A_DIR B_DIR [Class ...]');
  process.exit(2);
}
const all = classes.length ? classes : ['DashMap', 'LockFreeMap', 'HopscotchMap'];
if (all.length > 1) {
  for (const name of all) execFileSync(process.execPath, [__filename, aDir, bDir, name], { stdio: 'inherit' });
  process.exit(0);
}
const builds = { A: require(path.resolve(aDir)), B: require(path.resolve(bDir)) };
const CALLS = 1_000_000;
const ROUNDS = 15;
const n = 1000;
const keys = Array.from({ length: n }, (_, i) => 'key:' + i);

// The loops, compiled once per build (new Function), so that each call
// site sees one class only and stays on the fast path.
const bodies = {
  get: 'let s = 0; for (let i = 0; i < CALLS; i++) s += m.get(keys[i % n]); return s;',
  set: 'for (let i = 0; i < CALLS; i++) m.set(keys[i % n], i);',
  add: 'for (let i = 0; i < CALLS; i++) m.add(keys[i % n], 1);',
  'delete+set': 'for (let i = 0; i < CALLS; i += 2) { m.delete(keys[i % n]); m.set(keys[i % n], i); }',
};
const loopsFor = () =>
  Object.fromEntries(Object.entries(bodies).map(([op, body]) => [op, new Function('m', 'keys', 'n', 'CALLS', body)]));
const loops = { A: loopsFor(), B: loopsFor() };

const { median } = require('./stats');

for (const name of all) {
  const maps = {};
  for (const [w, lib] of Object.entries(builds)) {
    maps[w] = new lib[name]();
    keys.forEach((k, i) => maps[w].set(k, i));
  }
  const cells = [];
  for (const op of Object.keys(bodies)) {
    const ns = { A: [], B: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const w of ['A', 'B']) {
        const t0 = process.hrtime.bigint();
        loops[w][op](maps[w], keys, n, CALLS);
        ns[w].push(Number(process.hrtime.bigint() - t0) / CALLS);
      }
    }
    cells.push(`${op} ${median(ns.A).toFixed(1)} -> ${median(ns.B).toFixed(1)}`);
  }
  console.log(`${name}: ${cells.join(', ')}`);
}
