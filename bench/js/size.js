'use strict';
// ns per `map.size` read, for the classes whose size is a sum over shards or
// stripes.
//   node bench/js/size.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js), each round a fresh process per
// DIR. 10,000 entries; a figure is the best of 5 loops of 1M reads in that
// process; printed: the range over the rounds. A measurement, never an
// assertion.
const path = require('node:path');
const { parseArgs, alternate, bestNs } = require('./alternate');

const CLASSES = ['DashMap', 'LockMap', 'LockFreeMap'];

function child(dir) {
  const t = require(path.resolve(dir));
  const out = {};
  for (const C of CLASSES) {
    const m = new t[C]();
    for (let i = 0; i < 10000; i++) m.set('k' + i, i);
    let sum = 0;
    out[C] = bestNs(() => { for (let i = 0; i < 1e6; i++) sum += m.size; }, 1e6);
    if (sum !== 5 * 1e6 * 10000) throw new Error(`${C}: size read wrong`);
  }
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 3);
  const runs = alternate(__filename, dirs, rounds);
  console.log(`| build | ${CLASSES.join(' | ')} |`);
  console.log(`|---|${CLASSES.map(() => '--:').join('|')}|`);
  for (const dir of dirs) {
    const got = runs.get(`${dir}\t`);
    const cells = CLASSES.map((c) => {
      const xs = got.map((r) => r[c]);
      return `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
    });
    console.log(`| ${dir} | ${cells.join(' | ')} |`);
  }
}

if (process.argv[2] === '--child') child(process.argv[3]);
else main();
