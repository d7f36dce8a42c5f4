'use strict';
// What a program pays on DashMap's get/has/set/update when it also uses the
// lock-free classes, whose JS methods it shares (MapCore, lib/map_core.js).
//   node bench/js/mixed_classes.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js). Each round runs two fresh
// processes per DIR: `alone` (only a DashMap) and `mix` (a LockFreeMap and a
// HopscotchMap used first through the same methods, then the DashMap).
// Prints the median ns per call over the rounds. A measurement, never an
// assertion.
const path = require('node:path');
const { median } = require('./stats');
const { parseArgs, alternate, bestNs, printTable } = require('./alternate');

const N = 10000;
const OPS = ['get', 'has', 'set', 'update'];
const MODES = ['alone', 'mix'];
const negate = (v) => -v;

function child(dir, mode) {
  const t = require(path.resolve(dir));
  const keys = Array.from({ length: N }, (_, i) => 'key:' + i);
  const ops = {
    get(m) { let s = 0; for (let i = 0; i < N; i++) s += m.get(keys[i]); return s; },
    has(m) { let s = 0; for (let i = 0; i < N; i++) s += m.has(keys[i]) ? 1 : 0; return s; },
    set(m) { for (let i = 0; i < N; i++) m.set(keys[i], i); return 0; },
    update(m) { let s = 0; for (let i = 0; i < N; i++) s += m.update(keys[i], negate); return s; },
  };
  const time = (f, m) => bestNs(() => { for (let r = 0; r < 20; r++) f(m); }, 20 * N, 7);
  const classes = mode === 'mix' ? ['LockFreeMap', 'HopscotchMap', 'DashMap'] : ['DashMap'];
  const maps = classes.map((C) => { const m = new t[C](); ops.set(m); return m; });
  for (const m of maps) for (const f of Object.values(ops)) time(f, m);  // warm every call site on every class
  const dash = maps[maps.length - 1];
  const out = {};
  for (const op of OPS) out[op] = time(ops[op], dash);
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 5);
  const runs = alternate(__filename, dirs, rounds, MODES.map((m) => [m]));
  const what = { alone: 'alone', mix: 'after LockFreeMap and HopscotchMap' };
  printTable(['build', 'DashMap used'], OPS.map((o) => `${o} ns`), dirs.flatMap((dir) => MODES.map((mode) => {
    const got = runs.get(`${dir}\t${mode}`);
    return [dir, what[mode], ...OPS.map((op) => median(got.map((r) => r[op])).toFixed(1))];
  })));
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4]);
else main();
