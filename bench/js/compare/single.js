'use strict';
// The single-thread comparisons of bench/js/compare/run.js, in a fresh
// process: `node bench/js/compare/single.js [--quick]` prints progress on
// stderr and one JSON line (an array of rows) on stdout.
//   - LruLockMap.get against lru-cache's get: 10,000 string keys, all hits;
//   - LockMap lockAsync + release against an async-mutex Mutex per key, the
//     same number of ops: one task in turn (uncontended), and 16 tasks at once
//     on 8 keys (each acquisition of a held key queues behind its holder).
// Each side runs the same ops in rounds that alternate the two sides; the
// figure is the median ns per op of each side and their ratio.
const { LRUCache } = require('lru-cache');
const { Mutex } = require('async-mutex');
const { cpuSnapshot, otherLoad } = require('../load');
const { ROOT, log, median } = require('./common');
const { LockMap, LruLockMap } = require(ROOT);

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 15;
const ROUND_MS = QUICK ? 40 : 80; // the slower side's round, about
const nowNs = () => process.hrtime.bigint();

// Times `fn(n)` for both sides in alternating rounds; n is calibrated so the
// slower side's round lasts about ROUND_MS. fn may return a promise.
async function compare(title, ours, theirs) {
  const time = async (fn, n) => {
    const t0 = nowNs();
    await fn(n);
    return Number(nowNs() - t0) / n;
  };
  const probe = 20_000;
  for (let w = 0; w < 3; w++) { await time(ours, probe); await time(theirs, probe); } // warm-up
  const slowest = Math.max(await time(ours, probe), await time(theirs, probe));
  const n = Math.max(probe, Math.round((ROUND_MS * 1e6) / slowest));
  const a = [];
  const b = [];
  const snap0 = cpuSnapshot();
  for (let r = 0; r < ROUNDS; r++) {
    if (r & 1) { b.push(await time(theirs, n)); a.push(await time(ours, n)); } else { a.push(await time(ours, n)); b.push(await time(theirs, n)); }
  }
  const load = otherLoad(snap0, cpuSnapshot());
  const engineNs = median(a);
  const alternativeNs = median(b);
  log(`  ${title}: threadmap ${engineNs.toFixed(0)} ns, alternative ${alternativeNs.toFixed(0)} ns per op (${n} ops per round, median of ${ROUNDS})`);
  return {
    engineNs, alternativeNs, ratio: alternativeNs / engineNs, opsPerRound: n, rounds: ROUNDS,
    roundRatios: a.map((x, i) => b[i] / x), engineRounds: a, alternativeRounds: b, otherLoad: load,
  };
}

async function lru() {
  const n = 10_000;
  const keys = Array.from({ length: n }, (_, i) => `user:${i}`);
  const ours = new LruLockMap({ capacity: n });
  const theirs = new LRUCache({ max: n });
  for (const [i, k] of keys.entries()) { ours.set(k, i); theirs.set(k, i); }
  const order = Uint32Array.from({ length: 1 << 16 }, (_, i) => (i * 2654435761) % n);
  let sink = 0;
  const loop = (m) => (count) => { for (let i = 0; i < count; i++) sink += m.get(keys[order[i & 0xffff]]); };
  const r = await compare('LRU hits', loop(ours), loop(theirs));
  const s = ours.stats();
  if (sink === 0.5) log('');
  return {
    workload: 'lru', title: 'LRU cache hits, 10k string keys', engine: 'LruLockMap', engineLabel: 'LruLockMap.get',
    alternative: 'lru-cache', alternativeLabel: 'lru-cache LRUCache.get',
    cannot: 'not shared between threads: each worker holds its own cache (and its own misses)',
    check: { misses: s.misses }, ...r,
  };
}

// `tasks` async tasks share `count` ops; op i increments key i % keys under
// that key's lock. Both sides keep the count where their lock guards it, and
// every round's totals are checked.
async function locks(tasks, nKeys) {
  const keys = Array.from({ length: nKeys }, (_, i) => `acct:${i}`);
  const map = new LockMap();
  const mutexes = keys.map(() => new Mutex());
  const values = keys.map(() => 0);
  let wrong = 0;
  const run = (one) => async (count) => {
    let next = 0;
    const task = async () => { while (next < count) await one(next++ % nKeys); };
    await Promise.all(Array.from({ length: tasks }, task));
  };
  const ours = run(async (i) => {
    const e = await map.lockAsync(keys[i]);
    e.value = (e.value ?? 0) + 1;
    e.release();
  });
  const theirs = run(async (i) => {
    const release = await mutexes[i].acquire();
    values[i] += 1;
    release();
  });
  const checked = (fn, total) => async (count) => {
    const before = total();
    await fn(count);
    if (total() - before !== count) wrong++;
  };
  const r = await compare(`async locks, ${tasks} task(s) on ${nKeys} keys`,
    checked(ours, () => keys.reduce((a, k) => a + (map.get(k) ?? 0), 0)),
    checked(theirs, () => values.reduce((a, b) => a + b, 0)));
  const contended = tasks > 1;
  return {
    workload: contended ? 'lock-contended' : 'lock',
    title: contended ? `per-key async lock, ${tasks} tasks on ${nKeys} keys (contended)` : 'per-key async lock, 1 task (uncontended)',
    engine: 'LockMap', engineLabel: 'LockMap lockAsync + release',
    alternative: 'async-mutex', alternativeLabel: 'async-mutex Mutex per key, acquire + release',
    cannot: 'in one thread only: a Mutex cannot be posted to a worker, so it cannot guard data that workers share',
    check: { wrongRounds: wrong }, ...r,
  };
}

(async () => {
  const rows = [await lru(), await locks(1, 8), await locks(16, 8)];
  process.stdout.write(JSON.stringify(rows) + '\n');
})();
