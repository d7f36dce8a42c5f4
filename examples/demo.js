'use strict';
// threadmap demo: request metrics shared by worker threads.
//
// The main thread creates two DashMaps and hands their handles to 4 workers.
// Each worker "serves" a stream of simulated HTTP requests and records, in
// the shared maps, per-route counters (requests, errors, latency sum) with
// map.add, the slowest request per route with map.update, and the first
// worker to see each user with map.getOrInsert. No postMessage carries any
// data: the workers only say "done". The main thread then prints a table
// read straight from the maps, and checks every counter against a
// single-threaded replay of the same requests in a plain JS Map.
//
// Run: npm run demo   (or: node examples/demo.js [workers] [requestsPerWorker])

const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { DashMap } = require('threadmap');

const ROUTES = [
  // route,                weight, typical latency (ms), error rate
  ['GET /',                    30,   2, 0.001],
  ['GET /api/items',           25,   8, 0.005],
  ['GET /api/items/:id',       20,   5, 0.010],
  ['POST /api/items',           8,  15, 0.020],
  ['PUT /api/items/:id',        6,  12, 0.020],
  ['DELETE /api/items/:id',     3,  10, 0.010],
  ['POST /api/login',           5,  40, 0.050],
  ['GET /api/search',           3,  60, 0.030],
];
const TOTAL_WEIGHT = ROUTES.reduce((sum, r) => sum + r[1], 0);
const USERS = 20000;

// A small deterministic PRNG (mulberry32), so a replay sees the same requests.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Serves `count` simulated requests of worker `id`, reporting to `sink`.
// The same function drives the shared maps (in workers) and the replay.
function simulate(id, count, sink) {
  const random = rng(0x5eed + id * 7919);
  for (let i = 0; i < count; i++) {
    let pick = random() * TOTAL_WEIGHT;
    let r = 0;
    while (pick >= ROUTES[r][1]) pick -= ROUTES[r++][1];
    const [route, , typicalMs, errorRate] = ROUTES[r];
    // Latency in whole microseconds: exponential around the typical value.
    const latencyUs = Math.round(typicalMs * 1000 * -Math.log(1 - random() * 0.999));
    const failed = random() < errorRate;
    const user = Math.floor(random() * USERS);
    sink.add(`${route}|requests`, 1);
    sink.add(`${route}|latency_us`, latencyUs);
    if (failed) sink.add(`${route}|errors`, 1);
    sink.max(`${route}|max_us`, latencyUs);
    sink.seen(user, id);
  }
}

if (!isMainThread) {
  // Worker: attach to the maps by handle and serve requests.
  const { id, count, metricsHandle, usersHandle } = workerData;
  const metrics = DashMap.from(metricsHandle);
  const users = DashMap.from(usersHandle);
  const start = performance.now();
  simulate(id, count, {
    add: (key, n) => metrics.add(key, n),
    max: (key, v) => metrics.update(key, (old) => (old === undefined || v > old ? v : old)),
    seen: (user, worker) => users.getOrInsert(user, worker),
  });
  parentPort.postMessage({ id, ms: performance.now() - start });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

async function main() {
  const workers = Number(process.argv[2] ?? 4);
  const perWorker = Number(process.argv[3] ?? 50000);
  const metrics = new DashMap(); // "route|field" -> number
  const users = new DashMap(); // user id -> id of the first worker that saw it

  console.log(`threadmap demo: ${workers} worker threads serve ${perWorker.toLocaleString('en-US')} simulated requests each,`);
  console.log('sharing two DashMaps (per-route metrics, first-seen users) by handle.\n');

  const started = performance.now();
  const reports = await Promise.all(Array.from({ length: workers }, (_, id) => new Promise((resolve, reject) => {
    const worker = new Worker(__filename, {
      workerData: { id, count: perWorker, metricsHandle: metrics.handle, usersHandle: users.handle },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker ${id} exited with code ${code}`)); });
  })));
  const elapsed = performance.now() - started;

  // The result table, read from the shared map in this thread.
  const rows = ROUTES.map(([route]) => {
    const requests = metrics.get(`${route}|requests`) ?? 0;
    const errors = metrics.get(`${route}|errors`) ?? 0;
    const latency = metrics.get(`${route}|latency_us`) ?? 0;
    return [
      route,
      requests.toLocaleString('en-US'),
      errors.toLocaleString('en-US'),
      `${((100 * errors) / Math.max(requests, 1)).toFixed(2)}%`,
      (latency / Math.max(requests, 1) / 1000).toFixed(2),
      ((metrics.get(`${route}|max_us`) ?? 0) / 1000).toFixed(1),
    ];
  });
  printTable(['route', 'requests', 'errors', 'error rate', 'avg ms', 'max ms'], rows);

  const firstSeen = new Map();
  for (const worker of users.values()) firstSeen.set(worker, (firstSeen.get(worker) ?? 0) + 1);
  const split = [...firstSeen].sort((a, b) => a[0] - b[0]).map(([w, n]) => `worker ${w}: ${n}`).join(', ');
  console.log(`\ndistinct users: ${users.size.toLocaleString('en-US')} (first seen by ${split})`);

  // Check: replay every worker's requests in one thread into a plain Map.
  const expected = new Map();
  const expectedUsers = new Set();
  let ops = 0; // map calls the workers made: the replay makes the same ones
  for (let id = 0; id < workers; id++) {
    simulate(id, perWorker, {
      add: (key, n) => { ops++; expected.set(key, (expected.get(key) ?? 0) + n); },
      max: (key, v) => { ops++; expected.set(key, Math.max(expected.get(key) ?? v, v)); },
      seen: (user) => { ops++; expectedUsers.add(user); },
    });
  }
  const wrong = [];
  for (const [key, value] of expected) {
    if (metrics.get(key) !== value) wrong.push(`${key}: map ${metrics.get(key)}, expected ${value}`);
  }
  if (metrics.size !== expected.size) wrong.push(`metrics has ${metrics.size} keys, expected ${expected.size}`);
  if (users.size !== expectedUsers.size) wrong.push(`users has ${users.size} entries, expected ${expectedUsers.size}`);
  let totalRequests = 0;
  for (const [key, value] of metrics) if (key.endsWith('|requests')) totalRequests += value;
  if (totalRequests !== workers * perWorker) wrong.push(`requests total ${totalRequests}, expected ${workers * perWorker}`);

  console.log(`check: ${wrong.length === 0 ? 'OK' : 'FAILED'}: ${expected.size} counters and ${expectedUsers.size.toLocaleString('en-US')} users ` +
    `match a single-threaded replay exactly; ${totalRequests.toLocaleString('en-US')} requests counted`);
  for (const line of wrong.slice(0, 10)) console.log(`  ${line}`);
  console.log(`time: ${elapsed.toFixed(0)} ms wall for ${workers} workers (including their start-up), ` +
    `${ops.toLocaleString('en-US')} map calls (add, update, getOrInsert); per worker: ` +
    reports.sort((a, b) => a.id - b.id).map((r) => `${r.ms.toFixed(0)} ms`).join(', '));
  if (wrong.length) process.exitCode = 1;
}

function printTable(header, rows) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
