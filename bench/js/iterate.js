'use strict';
// ns per item of reading a whole map: iterating it (`for (const [k, v] of
// map)`, `map.keys()`, `map.values()`, `map.forEach`) and `getMany` of all
// its keys; a JS Map's for reference (its getMany: keys.map(k => m.get(k))).
//   node bench/js/iterate.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js), each round a fresh process per
// DIR. 100,000 entries `'key:' + i` -> i; a figure is the best of 5 full
// iterations in that process; printed: the median over the rounds. A
// measurement, never an assertion.
const path = require('node:path');
const { median } = require('./stats');
const { parseArgs, alternate, bestNs, printTable } = require('./alternate');

const N = 100000;
const CLASSES = ['Map', 'DashMap', 'LockMap', 'LockFreeMap', 'HopscotchMap'];
const WAYS = {
  entries(m) { let s = 0; for (const [k, v] of m) s += v + k.length; return s; },
  keys(m) { let s = 0; for (const k of m.keys()) s += k.length; return s; },
  values(m) { let s = 0; for (const v of m.values()) s += v; return s; },
  forEach(m) { let s = 0; m.forEach((v, k) => { s += v + k.length; }); return s; },
  getMany(m, keys) {
    const got = m instanceof Map ? keys.map((k) => m.get(k)) : m.getMany(keys);
    let s = 0;
    for (const v of got) s += v;
    return s;
  },
};

function child(dir) {
  const t = require(path.resolve(dir));
  const out = {};
  for (const C of CLASSES) {
    const m = C === 'Map' ? new Map() : new t[C]();
    const keys = Array.from({ length: N }, (_, i) => 'key:' + i);
    for (let i = 0; i < N; i++) m.set(keys[i], i);
    for (const [way, f] of Object.entries(WAYS)) {
      let got = 0;
      out[`${C} ${way}`] = bestNs(() => { got = f(m, keys); }, N);
      if (got === 0) throw new Error(`${C} ${way}: nothing iterated`);
    }
  }
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 3);
  const runs = alternate(__filename, dirs, rounds);
  const ways = Object.keys(WAYS);
  const cells = (dir, C) => ways.map((w) => median(runs.get(`${dir}\t`).map((r) => r[`${C} ${w}`])).toFixed(1));
  printTable(['build', 'class'], ways, CLASSES.flatMap((C) => dirs.map((dir) => [dir, C, ...cells(dir, C)])));
}

if (process.argv[2] === '--child') child(process.argv[3]);
else main();
