'use strict';
// The A/B skeleton of the small benchmark scripts (mixed_classes.js, calls.js,
// iterate.js): each takes checkouts with a built addon as arguments and
// measures them in fresh child processes, alternated round by round, so
// that a slow phase of the machine falls on every build alike.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

// The checkouts (default: this one) and --rounds=N (default `rounds`) of argv.
function parseArgs(argv, rounds) {
  const r = argv.find((a) => a.startsWith('--rounds='));
  const dirs = argv.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) dirs.push(path.join(__dirname, '..', '..'));
  return { dirs, rounds: r ? Number(r.slice(9)) : rounds };
}

// Runs `node script --child dir ...extra` for each dir and each extra list,
// `rounds` times over; returns the parsed JSON each printed, by
// `${dir}\t${extra.join(' ')}`, in round order.
function alternate(script, dirs, rounds, extras = [[]]) {
  const out = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const dir of dirs) {
      for (const extra of extras) {
        const res = JSON.parse(execFileSync(process.execPath, [script, '--child', dir, ...extra], { encoding: 'utf8' }));
        const key = `${dir}\t${extra.join(' ')}`;
        if (!out.has(key)) out.set(key, []);
        out.get(key).push(res);
      }
    }
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
  }
  return out;
}

// Best of `passes` timed runs of f(), in ns per item (f handles `items` items).
function bestNs(f, items, passes = 5) {
  let best = Infinity;
  for (let p = 0; p < passes; p++) {
    const t0 = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / items);
  }
  return best;
}

// The range of figures over the rounds, as "min-max".
function range(xs) {
  return `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
}

// A markdown table on stdout: two label columns (`heads`), then one
// right-aligned figure column per name in `cols`; rows are arrays of cells.
function printTable(heads, cols, rows) {
  console.log(`| ${[...heads, ...cols].join(' | ')} |`);
  console.log(`|${heads.map(() => '---').join('|')}|${cols.map(() => '--:').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

module.exports = { parseArgs, alternate, bestNs, range, printTable };
