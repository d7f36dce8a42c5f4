'use strict';
// What creating a map costs from JS, per class: us per `new C()` (an
// LruLockMap with { capacity: 10 }), the best of 9 loops of 200 in a
// process of its own per class (the maps of one class's loops would
// otherwise still be collected while the next class is timed); printed: the
// range over the rounds.
//   node bench/js/create.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js), each round a fresh process per
// DIR. A measurement, never an assertion.
const path = require('node:path');
const { parseArgs, alternate, bestNs, range, printTable } = require('./alternate');

const CLASSES = ['DashMap', 'LockMap', 'LruLockMap', 'LockFreeMap', 'HopscotchMap', 'DashSet'];
const N = 200;

function child(dir, C) {
  const t = require(path.resolve(dir));
  const options = C === 'LruLockMap' ? { capacity: 10 } : undefined;
  let made = 0;
  const us = bestNs(() => { for (let i = 0; i < N; i++) made += new t[C](options).size === 0 ? 1 : 0; }, N, 9) / 1000;
  if (made !== 9 * N) throw new Error(`${C}: a new map was not empty`);
  process.stdout.write(JSON.stringify(us));
}

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 3);
  const runs = alternate(__filename, dirs, rounds, CLASSES.map((C) => [C]));
  printTable(['build', 'us per new map'], CLASSES,
    dirs.map((dir) => [dir, '', ...CLASSES.map((C) => range(runs.get(`${dir}\t${C}`)))]));
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4]);
else main();
