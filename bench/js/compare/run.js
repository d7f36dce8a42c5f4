'use strict';
// threadmap against what Node users use today (issue 6):
//   node bench/js/compare/run.js [--quick] [--wait-idle[=S]]
//   (about 2 minutes, up to 2 more with --wait-idle; --quick about 10 s)
//
// 1. Sharing between 2 workers, on the same keys and the same pre-generated
//    key sequence for every contender: each threadmap class shared by handle,
//    a Map owned by the main thread behind postMessage (one op per round trip,
//    and pipelined in batches), lmdb opened in every worker (sync and async
//    writes), and for counters a hand-written SharedArrayBuffer + Atomics table.
//    Workloads: 90% get / 10% set of numbers, and counter increments; the
//    counter totals are checked against the ops the workers counted.
// 2. Single thread (a fresh child process, single.js): LruLockMap.get hits
//    against lru-cache, and LockMap lockAsync + release against async-mutex.
//
// Progress on stderr, a markdown table on stdout and in bench/results/compare.md,
// every raw figure in bench/results/compare.json, and the chart (chart.js) in
// docs/img/compare.svg. Measurements, never assertions: the exit code is 0
// whatever the figures (non-zero if a section could not run or a counter total
// came out wrong).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Worker, MessageChannel } = require('node:worker_threads');
const { machineEnv, timedWindow, sectionRunner } = require('../harness');
const { waitIdle } = require('../load');
const { ROOT, BUSY, log, median, fmtOps, keyOf } = require('./common');
const threadmap = require(ROOT);

const QUICK = process.argv.includes('--quick');
// --wait-idle[=S]: before each window wait (at most S s, default 10; 120 s in
// all) until other processes use < 0.1 core, as bench/js/run.js does.
const WAIT_ARG = process.argv.find((a) => a === '--wait-idle' || a.startsWith('--wait-idle='));
const WAIT_IDLE_S = WAIT_ARG ? Number(WAIT_ARG.split('=')[1] || 10) : 0;
const waited = { ms: 0, budgetMs: 120_000, busy: 0 };
function waitForQuiet() {
  if (!WAIT_IDLE_S || waited.ms >= waited.budgetMs) return;
  const t = Date.now();
  if (!waitIdle(Math.min(WAIT_IDLE_S * 1000, waited.budgetMs - waited.ms))) waited.busy++;
  waited.ms += Date.now() - t;
}
const CFG = {
  windowMs: QUICK ? 300 : 1200,
  reps: QUICK ? 1 : 5,
  keys: { getset: 100_000, add: 10_000 },
  workers: 2,
};
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const SVG_PATH = path.join(ROOT, 'docs', 'img', 'compare.svg');

const WORKLOADS = {
  getset: '90% get / 10% set of numbers, 100k string keys',
  add: 'counter +1, 10k string keys',
};

// What each alternative cannot do, said once per row of the report.
const CANNOT = {
  pm: "not shared: one thread owns the Map and every op is a message round trip through the owner's event loop (a wake-up of each side per op)",
  'pm-batch': 'as above, and a worker gets its results only per batch of 100 ops (latency of a whole batch)',
  'lmdb-sync': 'persistent and durable, but every value is serialised (msgpack) and every write takes the one LMDB write-transaction lock, which serialises writers',
  'lmdb-async': 'as above; a write is visible to readers only once its batch commits',
  sab: 'fixed size, integer keys (an index) and 32-bit integer values only, hand-written',
};

const THREADMAP = ['DashMap', 'LockMap', 'LruLockMap', 'LockFreeMap', 'HopscotchMap'];
const CONTENDERS = [
  ...THREADMAP.map((id) => ({ id, kind: 'threadmap', label: `threadmap ${id}`, workloads: ['getset', 'add'] })),
  { id: 'pm', kind: 'alternative', label: 'Map in main thread, postMessage round trip per op', workloads: ['getset', 'add'] },
  { id: 'pm-batch', kind: 'alternative', label: 'Map in main thread, postMessage, batches of 100 ops', workloads: ['getset', 'add'] },
  { id: 'lmdb-sync', kind: 'alternative', label: 'lmdb in each worker, sync writes (noSync)', workloads: ['getset', 'add'] },
  { id: 'lmdb-async', kind: 'alternative', label: 'lmdb in each worker, async batched writes (noSync)', workloads: ['getset', 'add'] },
  { id: 'sab', kind: 'alternative', label: 'SharedArrayBuffer + Atomics.add (hand-written)', workloads: ['add'] },
];

// ---------------------------------------------------------------- contenders' state
// One shared structure per (workload, contender), kept across reps so the
// counter totals add up over the whole run.
function lmdbOptions(dir) {
  // noSync: no fsync at commit (durable against a process crash, not a
  // power loss); compression off; lmdb-js's default msgpack encoding.
  return { path: dir, noSync: true, compression: false };
}

function setUp(workload, c) {
  const n = CFG.keys[workload];
  const prefill = workload === 'getset';
  if (c.kind === 'threadmap') {
    const Class = threadmap[c.id];
    const m = c.id === 'LruLockMap' ? new Class({ capacity: n }) : new Class();
    if (prefill) for (let i = 0; i < n; i++) m.set(keyOf(i), i);
    return {
      data: { handle: m.handle },
      total: () => { let s = 0; for (const v of m.values()) s += v; return s; },
      size: () => m.size,
      close() {},
    };
  }
  if (c.id === 'pm' || c.id === 'pm-batch') {
    const m = new Map();
    if (prefill) for (let i = 0; i < n; i++) m.set(keyOf(i), i);
    return {
      owned: m,
      data: {},
      total: () => { let s = 0; for (const v of m.values()) s += v; return s; },
      size: () => m.size,
      close() {},
    };
  }
  if (c.id === 'sab') {
    const sab = new SharedArrayBuffer(4 * n);
    const counters = new Int32Array(sab);
    return {
      data: { sab },
      total: () => counters.reduce((a, b) => a + b, 0),
      size: () => counters.filter((x) => x !== 0).length,
      close() {},
    };
  }
  // lmdb: a fresh environment in a temp directory, removed at the end.
  const { open } = require('lmdb');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-compare-lmdb-'));
  const opts = lmdbOptions(dir);
  const db = open(opts);
  if (prefill) db.transactionSync(() => { for (let i = 0; i < n; i++) db.putSync(keyOf(i), i); });
  const all = () => {
    db.resetReadTxn(); // see the workers' last commits
    let s = 0;
    let count = 0;
    for (const { value } of db.getRange()) { s += value; count++; }
    return [s, count];
  };
  return {
    data: { lmdb: opts },
    total: () => all()[0],
    size: () => all()[1],
    async close() { await db.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

// The owner side of the postMessage contenders: a flat request
// [op, key, value, ...] (0 get, 1 set, 2 add) gets one result per op.
function serve(port, m) {
  port.on('message', (msg) => {
    const out = new Array(msg.length / 3);
    for (let i = 0, o = 0; i < msg.length; i += 3, o++) {
      const op = msg[i];
      const k = msg[i + 1];
      if (op === 0) out[o] = m.get(k);
      else if (op === 1) { m.set(k, msg[i + 2]); out[o] = true; } else {
        const v = (m.get(k) ?? 0) + 1;
        m.set(k, v);
        out[o] = v;
      }
    }
    port.postMessage(out);
  });
}

// ---------------------------------------------------------------- one timed window
async function runWindow(workload, c, state, seedBase) {
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  const ws = [];
  const ports = [];
  for (let w = 0; w < CFG.workers; w++) {
    const workerData = {
      contender: c.id, workload, ctl: ctl.buffer, n: CFG.keys[workload], seed: seedBase + w * 7919, ...state.data,
    };
    const transferList = [];
    if (state.owned) {
      const { port1, port2 } = new MessageChannel();
      serve(port1, state.owned);
      ports.push(port1);
      workerData.port = port2;
      transferList.push(port2);
    }
    ws.push(new Worker(path.join(__dirname, 'worker.js'), { workerData, transferList }));
  }
  try {
    waitForQuiet();
    const { reports, otherLoad } = await timedWindow(ws, ctl, CFG.windowMs);
    return {
      opsPerSec: reports.reduce((a, r) => a + r.ops / (r.ms / 1000), 0),
      ops: reports.reduce((a, r) => a + r.ops, 0),
      otherLoad,
      perWorker: reports.map((r) => ({ ops: r.ops, ms: r.ms })),
    };
  } finally {
    for (const p of ports) p.close();
  }
}

// ---------------------------------------------------------------- sharing rows
async function sharing() {
  const rows = [];
  for (const workload of Object.keys(WORKLOADS)) {
    for (const c of CONTENDERS) {
      if (c.workloads.includes(workload)) rows.push({ workload, c, runs: [], load: [], ops: 0 });
    }
  }
  log(`# sharing between ${CFG.workers} workers: ${rows.length} contenders x ${CFG.reps} rep(s) of ${CFG.windowMs} ms`);
  for (const r of rows) r.state = setUp(r.workload, r.c);
  try {
    for (let rep = 0; rep < CFG.reps; rep++) {
      // Each rep starts at another row, so a drift of the machine's speed
      // does not always favour the same contenders.
      for (let i = 0; i < rows.length; i++) {
        const r = rows[(i + rep * 3) % rows.length];
        const res = await runWindow(r.workload, r.c, r.state, 1 + rep * 101);
        r.runs.push(res.opsPerSec);
        r.load.push(res.otherLoad);
        r.ops += res.ops;
        const noisy = res.otherLoad !== null && res.otherLoad >= BUSY ? ` [other load ${res.otherLoad.toFixed(2)} cores: noisy]` : '';
        log(`  rep ${rep + 1}/${CFG.reps} ${r.workload.padEnd(6)} ${r.c.label.padEnd(66)} ${fmtOps(res.opsPerSec).padStart(10)}${noisy}`);
      }
    }
    for (const r of rows) {
      if (r.workload === 'add') {
        const total = r.state.total();
        r.check = { expected: r.ops, actual: total, ok: total === r.ops };
        if (!r.check.ok) log(`  WRONG TOTAL: ${r.c.label}: counters sum to ${total}, workers counted ${r.ops} increments`);
      }
      r.finalSize = r.state.size();
    }
  } finally {
    for (const r of rows) await r.state.close();
  }
  return rows.map((r) => {
    // As bench/js/run.js: when at least 3 reps ran on a quiet machine, the
    // row's figure is the median of those alone (the table says so).
    const known = !r.load.some((x) => x === null);
    const quiet = r.runs.map((_, i) => i).filter((i) => known && r.load[i] < BUSY);
    const used = quiet.length >= Math.min(3, CFG.reps) ? quiet : r.runs.map((_, i) => i);
    return {
      workload: r.workload,
      contender: r.c.id,
      kind: r.c.kind,
      label: r.c.label,
      cannot: CANNOT[r.c.id] ?? null,
      opsPerSec: median(used.map((i) => r.runs[i])),
      repsUsed: used,
      runs: r.runs,
      otherLoadRuns: r.load,
      otherLoadMaxCores: known ? Math.max(...used.map((i) => r.load[i])) : null,
      counterCheck: r.check ?? null,
      finalSize: r.finalSize,
    };
  });
}

// ---------------------------------------------------------------- single thread
function single() {
  log('# single thread (fresh child process)');
  const out = execFileSync(process.execPath, [path.join(__dirname, 'single.js'), ...(QUICK ? ['--quick'] : [])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// ---------------------------------------------------------------- report
const fmtLoadCell = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(2) + (x >= BUSY ? ' (noisy)' : ''));
const ratio = (a, b) => (a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(2)) + 'x';

// Every comparison as threadmap ops/s over the alternative's ops/s (> 1: threadmap is faster).
function ratios(rows, singles) {
  const out = [];
  for (const alt of rows.filter((r) => r.kind === 'alternative')) {
    const engines = rows.filter((r) => r.kind === 'threadmap' && r.workload === alt.workload);
    const perEngine = Object.fromEntries(engines.map((e) => [e.contender, e.opsPerSec / alt.opsPerSec]));
    out.push({ workload: alt.workload, title: `2 workers: ${alt.workload}`, alternative: alt.contender, label: alt.label, perEngine, cannot: alt.cannot });
  }
  for (const s of singles) {
    out.push({ workload: s.workload, title: `1 thread: ${s.title}`, alternative: s.alternative, label: s.alternativeLabel, perEngine: { [s.engine]: s.ratio }, cannot: s.cannot });
  }
  return out;
}

function markdown(res) {
  const L = [];
  L.push('# threadmap compared with what users use today (issue 6)');
  L.push('');
  L.push(`${res.env.date} · node ${res.env.node} · ${res.env.cpus}x ${res.env.cpuModel} · ${res.env.platform}${QUICK ? ' · --quick' : ''}${WAIT_IDLE_S ? ` · --wait-idle=${WAIT_IDLE_S} (waited ${(res.env.idleWait.ms / 1000).toFixed(0)} s; ${res.env.idleWait.busy} window(s) still busy after waiting)` : ''}`);
  L.push('');
  L.push(`## Ratios: threadmap ops/s / the alternative's ops/s (> 1: threadmap is faster)`);
  L.push('');
  L.push(`| workload | alternative | ${THREADMAP.join(' | ')} | what the alternative cannot do |`);
  L.push(`|---|---|${THREADMAP.map(() => '--:|').join('')}---|`);
  for (const r of res.ratios) {
    const cells = THREADMAP.map((e) => (r.perEngine[e] === undefined ? '—' : ratio(r.perEngine[e], 1)));
    L.push(`| ${r.title} | ${r.label} | ${cells.join(' | ')} | ${r.cannot} |`);
  }
  L.push('');
  L.push(`## Sharing between ${CFG.workers} workers (total ops/s, median of ${CFG.reps} run(s) of ${CFG.windowMs / 1000} s)`);
  L.push('');
  L.push('| workload | contender | ops/s | runs | counter total | other load |');
  L.push('|---|---|--:|---|---|--:|');
  if (!res.sharing) L.push(`| _failed: ${res.errors.sharing}_ |`);
  for (const r of res.sharing || []) {
    const check = r.counterCheck ? (r.counterCheck.ok ? `exact (${r.counterCheck.actual.toLocaleString('en-US')})` : `**WRONG**: ${r.counterCheck.actual} of ${r.counterCheck.expected}`) : '—';
    const runs = r.runs.map((x, i) => (r.repsUsed.includes(i) ? (x / 1e6).toFixed(2) : `~~${(x / 1e6).toFixed(2)}~~`));
    const partial = r.repsUsed.length < r.runs.length ? ` (${r.repsUsed.length}/${r.runs.length} quiet reps)` : '';
    L.push(`| ${r.workload} | ${r.label} | ${fmtOps(r.opsPerSec)} | ${runs.join(' / ')} M | ${check} | ${fmtLoadCell(r.otherLoadMaxCores)}${partial} |`);
  }
  L.push('');
  L.push('## Single thread (fresh process; median ns per op over rounds alternating the two sides)');
  L.push('');
  L.push('| comparison | threadmap | ns/op | alternative | ns/op | threadmap / alternative (ops/s) | other load |');
  L.push('|---|---|--:|---|--:|--:|--:|');
  if (!res.single) L.push(`| _failed: ${res.errors.single}_ |`);
  for (const s of res.single || []) {
    L.push(`| ${s.title} | ${s.engineLabel} | ${s.engineNs.toFixed(0)} | ${s.alternativeLabel} | ${s.alternativeNs.toFixed(0)} | ${ratio(s.ratio, 1)} | ${fmtLoadCell(s.otherLoad)} |`);
  }
  L.push('');
  L.push('Workloads: ' + Object.entries(WORKLOADS).map(([k, v]) => `\`${k}\` = ${v}`).join('; ') + '. Each worker walks the same pre-generated random key sequence whatever the contender; ops are counted when done (a postMessage op when its reply arrived, an lmdb async write when its batch committed).');
  L.push('');
  L.push(`"other load": CPU (in cores) other processes used during the row's timed windows (the most of any run used); at >= ${BUSY} the row is marked noisy. A row with at least 3 quiet reps uses only those (the others are struck through under "runs"); counter totals cover every rep. Load average at start ${res.env.loadavgStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${res.env.loadavgEnd.map((x) => x.toFixed(2)).join(' / ')}.`);
  return L.join('\n') + '\n';
}

async function main() {
  const t0 = Date.now();
  const env = {
    ...machineEnv(),
    quick: QUICK,
    waitIdleSeconds: WAIT_IDLE_S,
    // Read from node_modules: some packages' exports maps hide package.json.
    versions: Object.fromEntries(['lmdb', 'async-mutex', 'lru-cache', 'vega', 'vega-lite'].map((p) => {
      try { return [p, JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version]; } catch { return [p, null]; }
    })),
  };
  log(`threadmap comparisons (node ${env.node}, ${env.cpus} CPUs)${QUICK ? ' [--quick]' : ''}`);
  const errors = {};
  const section = sectionRunner(errors, log, 'comparisons');
  const sharingRows = await section('sharing', sharing);
  const singleRows = await section('single', single);
  env.loadavgEnd = os.loadavg();
  env.idleWait = { ...waited };
  const res = {
    env, config: CFG, workloads: WORKLOADS, sharing: sharingRows, single: singleRows,
    ratios: ratios(sharingRows || [], singleRows || []), errors, seconds: (Date.now() - t0) / 1000,
  };
  const md = markdown(res);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonPath = path.join(RESULTS_DIR, 'compare.json');
  fs.writeFileSync(jsonPath, JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS_DIR, 'compare.md'), md);
  process.stdout.write(md);
  await section('chart', () => require('./chart').renderFile(jsonPath, SVG_PATH));
  log(`done in ${res.seconds.toFixed(1)} s; wrote bench/results/compare.json, compare.md and ${path.relative(ROOT, SVG_PATH)}`);
  const wrong = (sharingRows || []).some((r) => r.counterCheck && !r.counterCheck.ok);
  if (Object.keys(errors).length || wrong) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
