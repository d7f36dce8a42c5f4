'use strict';
// What creating a map costs from JS, per class: us per `new C()` (an
// LruLockMap with { capacity: 10 }), the best of 9 loops of 200 in a
// process of its own per class (the maps of one class's loops would
// otherwise still be collected while the next class is timed); and ns per
// key of filling a new map with 10,000 new string keys, made without and
// with `capacity: 10000` (not LruLockMap, whose capacity is its bound).
// Printed: the range over the rounds.
//   node bench/js/create.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js), each round a fresh process per
// DIR. A measurement, never an assertion.
const path = require('node:path');
const { parseArgs, alternate, bestNs, range, printTable } = require('./alternate');

const CLASSES = ['DashMap', 'LockMap', 'LruLockMap', 'LockFreeMap', 'HopscotchMap', 'DashSet'];
const N = 200;
const FILL = 10000;

function child(dir, C) {
  const t = require(path.resolve(dir));
  const options = C === 'LruLockMap' ? { capacity: 10 } : undefined;
  let made = 0;
  const us = bestNs(() => { for (let i = 0; i < N; i++) made += new t[C](options).size === 0 ? 1 : 0; }, N, 9) / 1000;
  if (made !== 9 * N) throw new Error(`${C}: a new map was not empty`);
  const out = { new: us };
  if (C !== 'LruLockMap') {
    const keys = Array.from({ length: FILL }, (_, i) => 'key:' + i);
    const add = C === 'DashSet' ? (m, k) => m.add(k) : (m, k) => m.set(k, 1);
    for (const [name, opts] of [['fill', undefined], ['fill, capacity', { capacity: FILL }]]) {
      let size = 0;
      out[name] = bestNs(() => {
        const m = new t[C](opts);
        for (let i = 0; i < FILL; i++) add(m, keys[i]);
        size = m.size;
      }, FILL, 9);
      if (size !== FILL) throw new Error(`${C}: filled to ${size}`);
    }
  }
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 3);
  const runs = alternate(__filename, dirs, rounds, CLASSES.map((C) => [C]));
  const cell = (dir, C, what) => {
    const xs = runs.get(`${dir}\t${C}`).map((r) => r[what]);
    return xs[0] === undefined ? '' : range(xs);
  };
  printTable(['build', 'per class'], CLASSES, dirs.flatMap((dir) => [
    [dir, 'us per new map', ...CLASSES.map((C) => cell(dir, C, 'new'))],
    [dir, 'ns per key, filling', ...CLASSES.map((C) => cell(dir, C, 'fill'))],
    [dir, 'ns per key, filling with capacity', ...CLASSES.map((C) => cell(dir, C, 'fill, capacity'))],
  ]));
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4]);
else main();
