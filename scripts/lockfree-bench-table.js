#!/usr/bin/env node
// Issue 4's benchmark table: reads a conc_map_bench JSON output and prints,
// for each mix and thread count, the median throughput (Mops/s) of every
// map, and LockFreeMap's and HopscotchMap's ratios against the best of the
// issue's comparison set in the same run: DashMap, CDS-FeldmanHashMap,
// CDS-SplitListMap, URCU-lfht, BoostCFM (those present in the file).
//
//   build-bench/bench/native/conc_map_bench --benchmark_repetitions=3 \
//     --benchmark_filter='/(DashMap|LockFreeMap|HopscotchMap|BoostCFM|CDS-FeldmanHashMap|CDS-SplitListMap|URCU-lfht)/' \
//     --benchmark_format=json --benchmark_out=out.json
//   node scripts/lockfree-bench-table.js out.json
'use strict';
const fs = require('fs');
const { median } = require('../bench/js/stats');
const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/lockfree-bench-table.js <conc_map_bench.json>');
  process.exit(2);
}
// Google Benchmark writes NaN / inf for some aggregates: not JSON.
const data = JSON.parse(fs.readFileSync(file, 'utf8').replace(/-?\b(NaN|inf)\b/g, 'null'));
const RIVALS = ['DashMap', 'CDS-FeldmanHashMap', 'CDS-SplitListMap', 'URCU-lfht', 'BoostCFM'];
const OURS = ['LockFreeMap', 'HopscotchMap'];
const runs = new Map(); // "mix/map/threads" -> [items_per_second]
for (const b of data.benchmarks) {
  if (b.run_type !== 'iteration' || b.error_occurred) continue;
  const m = /^([^/]+)\/([^/]+)\/threads:(\d+)/.exec(b.name);
  if (!m) continue;
  const key = `${m[1]}/${m[2]}/${m[3]}`;
  if (!runs.has(key)) runs.set(key, []);
  runs.get(key).push(b.items_per_second / 1e6);
}
const maps = [...OURS, ...RIVALS];
const lines = [];
lines.push(`| mix | threads | ${maps.join(' | ')} | LockFreeMap / best | HopscotchMap / best |`);
lines.push(`|---|--:|${maps.map(() => '--:').join('|')}|--:|--:|`);
for (const mix of ['ReadHeavy', 'Exchange', 'RapidGrow']) {
  for (const t of ['1', '2']) {
    const val = (map) => (runs.has(`${mix}/${map}/${t}`) ? median(runs.get(`${mix}/${map}/${t}`)) : null);
    const rivals = RIVALS.map((r) => [r, val(r)]).filter(([, v]) => v !== null);
    if (!rivals.length) continue;
    const [bestName, best] = rivals.reduce((a, b) => (b[1] > a[1] ? b : a));
    const cells = maps.map((m) => (val(m) === null ? 'n/a' : val(m).toFixed(2)));
    const ratio = (m) => (val(m) === null ? 'n/a' : `${(val(m) / best).toFixed(2)}x (vs ${bestName})`);
    lines.push(`| ${mix} | ${t} | ${cells.join(' | ')} | ${ratio('LockFreeMap')} | ${ratio('HopscotchMap')} |`);
  }
}
console.log(lines.join('\n'));
