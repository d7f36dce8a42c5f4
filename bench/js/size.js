'use strict';
// ns per `map.size` read, for the classes whose size is a sum over shards or
// stripes.
//   node bench/js/size.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round, each round a fresh process per DIR. 10,000
// entries; a figure is the best of 5 loops of 1M reads in that process;
// printed: the range over the rounds. A measurement, never an assertion.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const CLASSES = ['DashMap', 'LockMap', 'LockFreeMap'];

function child(dir) {
  const t = require(path.resolve(dir));
  const out = {};
  for (const C of CLASSES) {
    const m = new t[C]();
    for (let i = 0; i < 10000; i++) m.set('k' + i, i);
    let sum = 0;
    let best = Infinity;
    for (let pass = 0; pass < 5; pass++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 1e6; i++) sum += m.size;
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (sum !== 5 * 1e6 * 10000) throw new Error(`${C}: size read wrong`);
    out[C] = best;
  }
  process.stdout.write(JSON.stringify(out));
}

function main() {
  const args = process.argv.slice(2);
  const rounds = Number((args.find((a) => a.startsWith('--rounds=')) || '--rounds=3').slice(9));
  const dirs = args.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) dirs.push(path.join(__dirname, '..', '..'));
  const samples = new Map(dirs.map((d) => [d, Object.fromEntries(CLASSES.map((c) => [c, []]))]));
  for (let r = 0; r < rounds; r++) {
    for (const dir of dirs) {
      const res = JSON.parse(execFileSync(process.execPath, [__filename, '--child', dir], { encoding: 'utf8' }));
      for (const c of CLASSES) samples.get(dir)[c].push(res[c]);
    }
  }
  console.log(`| build | ${CLASSES.join(' | ')} |`);
  console.log(`|---|${CLASSES.map(() => '--:').join('|')}|`);
  for (const dir of dirs) {
    const cells = CLASSES.map((c) => `${Math.min(...samples.get(dir)[c]).toFixed(1)}-${Math.max(...samples.get(dir)[c]).toFixed(1)}`);
    console.log(`| ${dir} | ${cells.join(' | ')} |`);
  }
}

if (process.argv[2] === '--child') child(process.argv[3]);
else main();
