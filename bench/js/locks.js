'use strict';
// LockMap / LruLockMap benchmarks: `node bench/js/locks.js [--quick]`.
//   1. uncontended lock + release, tryLock + release, lockAsync + release
//      from JS (ns per pair; median of rounds);
//   2. contended hand-off between two workers: the latency from one
//      worker's release to the other's acquisition of the same key (p50,
//      p99), with sync lock() and with lockAsync();
//   3. the LruLockMap hit path against lru-cache's get() on the same data,
//      one thread (a ratio measured in this run).
// Progress on stderr, a markdown table on stdout; results in
// bench/results/locks.json and locks.md. Measurements, never assertions.
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const ROOT = path.resolve(__dirname, '..', '..');
const { LockMap, LruLockMap } = require(ROOT);

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 11;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const { median } = require('./stats');

function timeSync(n, fn) {
  const t0 = process.hrtime.bigint();
  fn(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

function rounds(label, n, fn) {
  fn(Math.max(1000, n / 10)); // warm-up
  const xs = [];
  for (let r = 0; r < ROUNDS; r++) xs.push(timeSync(n, fn));
  const m = median(xs);
  log(`  ${label}: ${m.toFixed(1)} ns (median of ${ROUNDS})`);
  return m;
}

async function roundsAsync(label, n, fn) {
  await fn(Math.max(1000, n / 10));
  const xs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    await fn(n);
    xs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  const m = median(xs);
  log(`  ${label}: ${m.toFixed(1)} ns (median of ${ROUNDS})`);
  return m;
}

function uncontended() {
  log('uncontended lock + release (one thread)');
  const m = new LockMap();
  m.set('key', 1);
  const n = QUICK ? 100_000 : 500_000;
  const out = {
    lockRelease: rounds('lock + release', n, (k) => { for (let i = 0; i < k; i++) m.lock('key').release(); }),
    tryLockRelease: rounds('tryLock + release', n, (k) => { for (let i = 0; i < k; i++) m.tryLock('key').release(); }),
    lockSetRelease: rounds('lock + value = n + release', n, (k) => {
      for (let i = 0; i < k; i++) { const e = m.lock('key'); e.value = i; e.release(); }
    }),
    get: rounds('get (reference: a read outside any lock)', n, (k) => { for (let i = 0; i < k; i++) m.get('key'); }),
  };
  return out;
}

async function uncontendedAsync() {
  const m = new LockMap();
  const n = QUICK ? 50_000 : 200_000;
  return roundsAsync('lockAsync + release', n, async (k) => {
    for (let i = 0; i < k; i++) (await m.lockAsync('key')).release();
  });
}

// Two workers pass one key's lock back and forth; each records, on
// acquiring, now - the release time the previous holder stored.
// The value is (ns since a shared base) * 2 + holder id: a number, so the
// hand-off is not slowed by serializing an object.
const HANDOFF_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { LockMap } = require(${JSON.stringify(ROOT)});
const { handle, samples, mode, gate, id } = workerData;
const base = BigInt(workerData.base);
const m = LockMap.from(handle);
const lat = new Float64Array(samples);
const stamp = () => Number(process.hrtime.bigint() - base) * 2 + id;
(async () => {
  Atomics.add(gate, 0, 1);
  while (Atomics.load(gate, 0) < 2) Atomics.wait(gate, 0, Atomics.load(gate, 0), 10);
  let n = 0;
  while (n < samples) {
    const e = mode === 'sync' ? m.lock('baton') : await m.lockAsync('baton');
    const now = Number(process.hrtime.bigint() - base);
    const prev = e.value;
    if (prev !== undefined && prev % 2 !== id) lat[n++] = (now - Math.floor(prev / 2)) / 1000;
    e.value = stamp();
    e.release();
  }
  parentPort.postMessage(lat, [lat.buffer]);
  // Keep taking turns until the other side is done too.
  while (Atomics.load(gate, 1) === 0) {
    const e = mode === 'sync' ? m.lock('baton', { timeout: 50 }) : await m.lockAsync('baton');
    e.value = stamp();
    e.release();
    if (mode === 'sync') await new Promise((r) => setImmediate(r));
  }
})();
`;

async function handoff(mode) {
  const m = new LockMap();
  const samples = QUICK ? 5_000 : 20_000;
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const base = String(process.hrtime.bigint());
  const workers = [0, 1].map((id) => new Worker(HANDOFF_WORKER, {
    eval: true, workerData: { handle: m.handle, samples, mode, gate, id, base },
  }));
  const lats = await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  })));
  Atomics.store(gate, 1, 1);
  await Promise.all(workers.map((w) => w.terminate()));
  const all = Float64Array.from([...lats[0], ...lats[1]]).sort();
  const pct = (p) => all[Math.min(all.length - 1, Math.floor(p * all.length))];
  const r = { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: all[all.length - 1], samples: all.length };
  log(`  ${mode}: p50 ${r.p50.toFixed(1)} us, p90 ${r.p90.toFixed(1)} us, p99 ${r.p99.toFixed(1)} us (${r.samples} hand-offs)`);
  return r;
}

function lruVersusLruCache() {
  let LRUCache;
  try {
    ({ LRUCache } = require('lru-cache'));
  } catch {
    log('  lru-cache is not installed (npm install): skipped');
    return undefined;
  }
  log('LruLockMap hit path vs lru-cache (one thread, 10,000 string keys, all hits)');
  const keys = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
  const lru = new LruLockMap({ capacity: 10_000 });
  const ref = new LRUCache({ max: 10_000 });
  for (const [i, k] of keys.entries()) {
    lru.set(k, i);
    ref.set(k, i);
  }
  const order = Uint32Array.from({ length: 1 << 16 }, (_, i) => (i * 2654435761) % keys.length);
  const n = QUICK ? 200_000 : 1_000_000;
  let sink = 0;
  const ours = rounds('LruLockMap.get', n, (k) => { for (let i = 0; i < k; i++) sink += lru.get(keys[order[i & 0xffff]]); });
  const theirs = rounds('lru-cache get', n, (k) => { for (let i = 0; i < k; i++) sink += ref.get(keys[order[i & 0xffff]]); });
  const peek = rounds('LruLockMap.peek', n, (k) => { for (let i = 0; i < k; i++) sink += lru.peek(keys[order[i & 0xffff]]); });
  if (sink === 42) log('');
  return { ours, theirs, peek, ratio: ours / theirs };
}

(async () => {
  const results = { date: new Date().toISOString(), quick: QUICK };
  results.uncontended = uncontended();
  results.uncontended.lockAsyncRelease = await uncontendedAsync();
  log('contended hand-off between two workers');
  results.handoff = { sync: await handoff('sync'), async: await handoff('async') };
  results.lru = lruVersusLruCache();
  const u = results.uncontended;
  const rows = [
    '| measurement | figure | target |',
    '|---|---|---|',
    `| lock + release (uncontended, JS) | ${u.lockRelease.toFixed(0)} ns | < 200 ns |`,
    `| tryLock + release | ${u.tryLockRelease.toFixed(0)} ns | |`,
    `| lock + set value + release | ${u.lockSetRelease.toFixed(0)} ns | |`,
    `| lockAsync + release (uncontended) | ${u.lockAsyncRelease.toFixed(0)} ns | < 2,000 ns |`,
    `| get (reference) | ${u.get.toFixed(0)} ns | |`,
    `| hand-off between 2 workers, sync lock(): p50 / p99 | ${results.handoff.sync.p50.toFixed(1)} / ${results.handoff.sync.p99.toFixed(1)} us | p99 < 100 us |`,
    `| hand-off between 2 workers, lockAsync(): p50 / p99 | ${results.handoff.async.p50.toFixed(1)} / ${results.handoff.async.p99.toFixed(1)} us | p99 < 100 us |`,
  ];
  if (results.lru) {
    rows.push(`| LruLockMap.get / lru-cache get (hits, one thread) | ${results.lru.ours.toFixed(0)} / ${results.lru.theirs.toFixed(0)} ns = ${results.lru.ratio.toFixed(2)}x | report |`);
  }
  const md = rows.join('\n') + '\n';
  process.stdout.write(md);
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'locks.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'locks.md'), md);
})();
