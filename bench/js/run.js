'use strict';
// threadmap JS-level benchmarks: `node bench/js/run.js` (about 2 minutes on an idle 2-core machine).
// Every figure is a ratio measured in this run against its baseline (a JS
// Map, or one worker). Progress goes to stderr, a markdown table to stdout;
// results go to bench/results/js.json and bench/results/js.md.
// These are measurements, never assertions: the exit code is 0 whatever the
// figures are (non-zero only if a benchmark could not run).
//
//   node bench/js/run.js [--quick] [--wait-idle[=SECONDS]]
//     --quick      fewer rounds, shorter runs (a smoke test)
//     --wait-idle  before each timed window, wait (at most SECONDS, default 10;
//                  at most 90 s in all) until other processes use < 0.1 core:
//                  for shared machines
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { DashMap } = require(path.resolve(__dirname, '..', '..'));
const { waitIdle } = require('./load');
const { median } = require('./stats');
const { machineEnv, timedWindow, sectionRunner } = require('./harness');

const QUICK = process.argv.includes('--quick');
const WAIT_IDLE_ARG = process.argv.find((a) => a === '--wait-idle' || a.startsWith('--wait-idle='));
const WAIT_IDLE_S = WAIT_IDLE_ARG ? Number(WAIT_IDLE_ARG.split('=')[1] || 10) : 0;
let waitBudgetMs = 90_000; // all the waiting of one run, micro children included
function waitForIdle() {
  if (!WAIT_IDLE_S || waitBudgetMs <= 0) return;
  const t = Date.now();
  const idle = waitIdle(Math.min(WAIT_IDLE_S * 1000, waitBudgetMs));
  waitBudgetMs -= Date.now() - t;
  if (!idle) log(`  (machine still busy after waiting; measuring anyway${waitBudgetMs <= 0 ? '; wait budget spent' : ''})`);
}
const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

const CFG = {
  micro: { rounds: QUICK ? 7 : 15, warmup: QUICK ? 2 : 5, keys: 100_000 },
  throughput: { durationMs: QUICK ? 500 : 1500, reps: QUICK ? 1 : 5, keys: 100_000 },
  memory: { entries: 1_000_000 },
};

const TARGETS = {
  get: 2, // DashMap.get / Map.get <= 2
  set: 3, // DashMap.set / Map.set <= 3
  scaling: 1.8, // 2-worker / 1-worker aggregate ops/s >= 1.8
  memory: 1, // DashMap bytes/entry / Map bytes/entry <= 1
};

const log = (msg) => process.stderr.write(msg + '\n');

function runChild(script, args, nodeFlags = ['--expose-gc']) {
  const out = execFileSync(process.execPath, [...nodeFlags, path.join(__dirname, script), ...args.map(String)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// ---------------------------------------------------------------- micro
function microBenchmarks() {
  log(`# microbenchmarks: ${CFG.micro.keys} keys, random order, ${CFG.micro.warmup} warm-up + ${CFG.micro.rounds} rounds, median`);
  const out = [];
  for (const keyType of ['str', 'int']) {
    // The child waits before each of its 3 comparisons: give it its share of the budget.
    const childWait = Math.min(WAIT_IDLE_S, Math.max(0, waitBudgetMs / 1000 / 3));
    const r = runChild('micro.js', [keyType, CFG.micro.rounds, CFG.micro.warmup, childWait]);
    waitBudgetMs -= r.waitedMs || 0;
    out.push(...r.results);
  }
  return out;
}

// ---------------------------------------------------------------- throughput
async function throughputRun(impl, mix, workers, handle, seedBase) {
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  const ws = [];
  for (let w = 0; w < workers; w++) {
    ws.push(new Worker(path.join(__dirname, 'throughput_worker.js'), {
      workerData: { impl, mix, handle, ctl: ctl.buffer, n: CFG.throughput.keys, seed: seedBase + w * 7919 },
    }));
  }
  waitForIdle();
  const { reports, otherLoad: load } = await timedWindow(ws, ctl, CFG.throughput.durationMs);
  const opsPerSec = reports.reduce((a, r) => a + r.ops / (r.ms / 1000), 0);
  return { opsPerSec, otherLoad: load, perWorker: reports.map((r) => ({ ops: r.ops, ms: r.ms })) };
}

async function throughputBenchmarks() {
  const { durationMs, reps, keys } = CFG.throughput;
  log(`# throughput: ${keys} string keys, ${durationMs} ms per run, ${reps} rep(s) of 1 and 2 workers, median`);
  const configs = [
    { impl: 'dash', mix: 'getset', label: 'DashMap (shared)', workload: '90% get / 10% set' },
    { impl: 'dash', mix: 'add', label: 'DashMap (shared)', workload: '100% add' },
    { impl: 'dash-private', mix: 'getset', label: 'DashMap (private per worker)', workload: '90% get / 10% set' },
    { impl: 'map', mix: 'getset', label: 'JS Map (private per worker)', workload: '90% get / 10% set' },
    { impl: 'map', mix: 'add', label: 'JS Map (private per worker)', workload: '100% add (get+set)' },
  ];
  const out = [];
  for (const c of configs) {
    let handle = null;
    let shared = null;
    if (c.impl === 'dash') {
      shared = new DashMap();
      for (let i = 0; i < keys; i++) shared.set('key:' + i, i);
      handle = shared.handle;
    }
    const one = [];
    const two = [];
    const load = [];
    for (let r = 0; r < reps; r++) {
      // Alternate which goes first, so a drift of the machine's speed does
      // not favour one side.
      let a;
      let b;
      if (r & 1) {
        b = await throughputRun(c.impl, c.mix, 2, handle, 1 + r * 101);
        a = await throughputRun(c.impl, c.mix, 1, handle, 1 + r * 101);
      } else {
        a = await throughputRun(c.impl, c.mix, 1, handle, 1 + r * 101);
        b = await throughputRun(c.impl, c.mix, 2, handle, 1 + r * 101);
      }
      one.push(a.opsPerSec);
      two.push(b.opsPerSec);
      load.push(a.otherLoad === null || b.otherLoad === null ? null : Math.max(a.otherLoad, b.otherLoad));
      log(`  ${c.label.padEnd(29)} ${c.workload.padEnd(19)} rep ${r + 1}: 1 worker ${fmtOps(a.opsPerSec)}, 2 workers ${fmtOps(b.opsPerSec)} (x${(b.opsPerSec / a.opsPerSec).toFixed(2)})${fmtLoad(a.otherLoad, b.otherLoad)}`);
    }
    // If at least 3 reps ran on a quiet machine, the figures use only those.
    const known = !load.some((x) => x === null);
    let used = one.map((_, i) => i);
    const quiet = known ? used.filter((i) => load[i] < BUSY) : used;
    if (known && quiet.length >= Math.min(3, reps)) used = quiet;
    const o = median(used.map((i) => one[i]));
    const t = median(used.map((i) => two[i]));
    const repRatios = used.map((i) => two[i] / one[i]);
    const maxLoad = known ? Math.max(...used.map((i) => load[i])) : null;
    out.push({ ...c, oneWorkerOpsPerSec: o, twoWorkersOpsPerSec: t, scaling: t / o, repsUsed: used.length, reps, repRatios, otherLoadMaxCores: maxLoad, oneWorkerRuns: one, twoWorkersRuns: two, otherLoadRuns: load, finalSize: shared ? shared.size : null });
  }
  return out;
}

// ---------------------------------------------------------------- memory
function memoryBenchmarks() {
  const n = CFG.memory.entries;
  log(`# memory: ${n} entries, each measurement in a fresh node --expose-gc process`);
  const out = [];
  for (const keyType of ['str', 'int']) {
    // Memory figures do not depend on the machine's load: no waiting here.
    const m = runChild('memory_child.js', ['map', keyType, n]);
    const d = runChild('memory_child.js', ['dash', keyType, n]);
    const row = {
      keys: keyType,
      data: keyType === 'str' ? "'k' + i -> i (short string -> number)" : 'i -> i (small int -> small int)',
      entries: n,
      mapHeapBytesPerEntry: m.heapDelta / n,
      mapRssBytesPerEntry: m.rssDelta / n,
      dashNativeBytesPerEntry: d.nativeBytes / n,
      dashRssBytesPerEntry: d.rssDelta / n,
      dashHeapBytesPerEntry: d.heapDelta / n,
      raw: { map: m, dash: d },
    };
    row.nativeRatio = row.dashNativeBytesPerEntry / row.mapHeapBytesPerEntry;
    row.rssRatio = row.dashRssBytesPerEntry / row.mapHeapBytesPerEntry;
    log(`  ${keyType}: JS Map heap ${row.mapHeapBytesPerEntry.toFixed(1)} B/entry (rss ${row.mapRssBytesPerEntry.toFixed(1)}), DashMap nativeBytes ${row.dashNativeBytesPerEntry.toFixed(1)} B/entry, rss ${row.dashRssBytesPerEntry.toFixed(1)} B/entry`);
    out.push(row);
  }
  return out;
}

// ---------------------------------------------------------------- report
function fmtOps(x) {
  if (x >= 1e6) return (x / 1e6).toFixed(2) + ' M/s';
  if (x >= 1e3) return (x / 1e3).toFixed(1) + ' k/s';
  return x.toFixed(0) + ' /s';
}
function fmtLoad(a, b) {
  if (a === null || b === null) return '';
  const m = Math.max(a, b);
  return m >= BUSY ? ` [other processes used up to ${m.toFixed(2)} cores: noisy]` : '';
}
const fmtLoadCell = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(2) + (x >= BUSY ? ' (noisy)' : ''));
const BUSY = 0.25; // cores used by other processes above which a figure is marked noisy
// The spread of paired ratios, as " (lo–hi)".
function spread(ratios) {
  if (!ratios || ratios.length < 2) return '';
  const s = ratios.slice().sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return s.length >= 8 ? ` (${q(0.25).toFixed(2)}–${q(0.75).toFixed(2)})` : ` (${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)})`;
}
const pf = (ok) => (ok ? 'pass' : '**FAIL**');

function markdown(res) {
  const L = [];
  L.push('# threadmap JS benchmarks');
  L.push('');
  L.push(`${res.env.date} · node ${res.env.node} · ${res.env.cpus}x ${res.env.cpuModel} · ${res.env.platform}${QUICK ? ' · --quick' : ''}${WAIT_IDLE_S ? ` · --wait-idle=${WAIT_IDLE_S}` : ''}`);
  L.push('');
  L.push(`## Single-thread ops (${CFG.micro.keys / 1000}k keys holding numbers, random order, median of ${CFG.micro.rounds} rounds)`);
  L.push('');
  L.push('| op | keys | DashMap ns/op | JS Map ns/op | DashMap / Map | target | result | other load |');
  L.push('|---|---|---:|---:|---:|---|---|---:|');
  if (!res.micro) L.push(`| _failed: ${res.errors.micro}_ |`);
  for (const r of res.micro || []) {
    const t = TARGETS[r.op];
    const keys = r.keys === 'str' ? "string ('key:' + i)" : 'small int';
    const base = r.op === 'add' ? 'add vs set(k, (get(k) ?? 0) + 1)' : r.op;
    L.push(`| ${base} | ${keys} | ${r.dashNsPerOp.toFixed(1)} | ${r.mapNsPerOp.toFixed(1)} | ${r.ratio.toFixed(2)}x${spread(r.dashRounds.map((d, i) => d / r.mapRounds[i]))} | ${t ? `<= ${t}x` : '—'} | ${t ? pf(r.ratio <= t) : '—'} | ${fmtLoadCell(r.otherLoad)} |`);
  }
  L.push('');
  L.push(`## Aggregate throughput, 1 vs 2 workers (${CFG.throughput.durationMs / 1000} s runs, median of ${CFG.throughput.reps})`);
  L.push('');
  L.push('| map | workload | 1 worker | 2 workers | 2 / 1 | target | result | other load |');
  L.push('|---|---|---:|---:|---:|---|---|---:|');
  if (!res.throughput) L.push(`| _failed: ${res.errors.throughput}_ |`);
  for (const r of res.throughput || []) {
    const targeted = r.impl === 'dash';
    L.push(`| ${r.label} | ${r.workload} | ${fmtOps(r.oneWorkerOpsPerSec)} | ${fmtOps(r.twoWorkersOpsPerSec)} | ${r.scaling.toFixed(2)}x${spread(r.repRatios)} | ${targeted ? `>= ${TARGETS.scaling}x` : 'reference'} | ${targeted ? pf(r.scaling >= TARGETS.scaling) : '—'} | ${fmtLoadCell(r.otherLoadMaxCores)}${r.repsUsed < r.reps ? ` (${r.repsUsed}/${r.reps} quiet reps)` : ''} |`);
  }
  L.push('');
  L.push(`## Memory, bytes per entry (${CFG.memory.entries.toLocaleString('en-US')} entries, fresh process each)`);
  L.push('');
  L.push('| data | JS Map (V8 heap) | DashMap nativeBytes() | DashMap RSS delta | JS Map RSS delta | native / Map | RSS / Map | target | result (native, RSS) |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---|---|');
  if (!res.memory) L.push(`| _failed: ${res.errors.memory}_ |`);
  for (const r of res.memory || []) {
    L.push(`| ${r.data} | ${r.mapHeapBytesPerEntry.toFixed(1)} | ${r.dashNativeBytesPerEntry.toFixed(1)} | ${r.dashRssBytesPerEntry.toFixed(1)} | ${r.mapRssBytesPerEntry.toFixed(1)} | ${r.nativeRatio.toFixed(2)}x | ${r.rssRatio.toFixed(2)}x | <= 1x | ${pf(r.nativeRatio <= TARGETS.memory)}, ${pf(r.rssRatio <= TARGETS.memory)} |`);
  }
  L.push('');
  L.push('Ratios are of medians; in parentheses the spread of the paired per-round (per-rep) ratios: interquartile range for the single-thread rows, min–max over the reps used for throughput.');
  L.push('');
  L.push(`Load average at start ${res.env.loadavgStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${res.env.loadavgEnd.map((x) => x.toFixed(2)).join(' / ')}. "other load": CPU (in cores) other processes used during that row's timed windows (for throughput, the most of any rep used; a row uses only its quiet reps when at least 3 of them were); at >= ${BUSY} the row is marked noisy: rerun on an idle machine before drawing conclusions.`);
  L.push('');
  L.push('Ratios compare figures measured in this same run. "RSS / Map" compares the DashMap\'s process RSS delta with the JS Map\'s heapUsed delta (the JS Map\'s own RSS delta is shown for reference: it includes V8 heap slack). Private JS Maps are not shared, so their 2/1 figure is the machine\'s own 2-core scaling, the ceiling for the shared map.');
  return L.join('\n') + '\n';
}

async function main() {
  const t0 = Date.now();
  const env = { ...machineEnv(), quick: QUICK, waitIdleSeconds: WAIT_IDLE_S };
  log(`threadmap JS benchmarks (node ${env.node}, ${env.cpus} CPUs)${QUICK ? ' [--quick]' : ''}`);
  if (env.cpus < 2) log('warning: fewer than 2 CPUs; the 2-worker figures cannot scale');
  // A section that cannot run is reported as such; the others still run.
  const errors = {};
  const section = sectionRunner(errors, log, 'benchmarks');
  const micro = await section('micro', microBenchmarks);
  const throughput = await section('throughput', throughputBenchmarks);
  const memory = await section('memory', memoryBenchmarks);
  env.loadavgEnd = os.loadavg();
  const res = { env, config: CFG, targets: TARGETS, micro, throughput, memory, errors, seconds: (Date.now() - t0) / 1000 };
  const md = markdown(res);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, 'js.json'), JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS_DIR, 'js.md'), md);
  process.stdout.write(md);
  log(`done in ${res.seconds.toFixed(1)} s; wrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'js.json'))} and js.md`);
  if (Object.keys(errors).length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
