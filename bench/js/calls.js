'use strict';
// ns per call of the single calls other than get/set that users make in
// loops: `map.size`, `getOrInsert` of a present key, `compareAndSet` that
// swaps, and `take` (each taken value set back: a pair of calls, reported
// per pair); and per entry of the batch calls: `setMany` of all entries
// (overwriting), `deleteMany` of all keys then `setMany` back (per pair),
// and a loop of `set` for comparison; `getOrInsertComputed` of a present
// key, `update` (fn negates the value) and `retain` (keeping every entry).
// For a DashSet: `new DashSet(members)`,
// `deleteMany(members)` and loops of `add` (into an empty set) and `delete`,
// per member. For an LruLockMap: `await getOrCompute` of a present key, and
// for comparison `await` of an async function returning a `get`.
//   node bench/js/calls.js [DIR ...] [--rounds=N]
// DIR: a checkout with a built addon (default: this one); several are
// alternated round by round (alternate.js), each round a fresh process per
// DIR. 10,000 entries 'k' + i -> i; a figure is the best of 5 loops in that
// process; printed: the range over the rounds. A measurement, never an
// assertion.
const path = require('node:path');
const { parseArgs, alternate, bestNs, range, printTable } = require('./alternate');

const N = 10000;
const CLASSES = ['DashMap', 'LockMap', 'LockFreeMap', 'HopscotchMap'];
const CALLS = {
  size(m) { let s = 0; for (let r = 0; r < 100; r++) for (let i = 0; i < N; i++) s += m.size; return s === 100 * N * N; },
  getOrInsert(m, keys) { let s = 0; for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) s += m.getOrInsert(keys[i], -1); return s === 20 * (N * (N - 1) / 2); },
  compareAndSet(m, keys) { let s = 0; for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) s += m.compareAndSet(keys[i], i, i) ? 1 : 0; return s === 20 * N; },
  'take+set'(m, keys) { for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) m.set(keys[i], m.take(keys[i])); return m.get(keys[7]) === 7; },
  'set loop'(m, keys) { for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) m.set(keys[i], i); return m.get(keys[7]) === 7; },
  setMany(m, keys, entries) { for (let r = 0; r < 20; r++) m.setMany(entries); return m.get(keys[7]) === 7; },
  'deleteMany+setMany'(m, keys, entries) {
    let gone = 0;
    for (let r = 0; r < 20; r++) { gone += m.deleteMany(keys); m.setMany(entries); }
    return gone === 20 * N;
  },
  getOrInsertComputed(m, keys) {
    let s = 0;
    for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) s += m.getOrInsertComputed(keys[i], mustNotRun);
    return s === 20 * (N * (N - 1) / 2);
  },
  // 20 negations: every value ends where it began.
  update(m, keys) {
    let last = 0;
    for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) last = m.update(keys[i], negate);
    return last === N - 1 && m.get(keys[7]) === 7;
  },
  // Keeps every entry: the callback's cost per entry.
  retain(m) {
    let kept = 0;
    for (let r = 0; r < 5; r++) kept += N - m.retain(keepAll);
    return kept === 5 * N && m.size === N;
  },
};
const negate = (v) => -v;
const keepAll = (v) => v !== 'never';
// For getOrInsertComputed and getOrCompute of present keys.
const mustNotRun = () => { throw new Error('the key is present: fn must not run'); };
const PER = { size: 100 * N, getOrInsert: 20 * N, compareAndSet: 20 * N, 'take+set': 20 * N, 'set loop': 20 * N, setMany: 20 * N, 'deleteMany+setMany': 20 * N, getOrInsertComputed: 20 * N, update: 20 * N, retain: 5 * N };

async function child(dir) {
  const t = require(path.resolve(dir));
  const keys = Array.from({ length: N }, (_, i) => 'k' + i);
  const entries = keys.map((k, i) => [k, i]);
  const out = {};
  for (const C of CLASSES) {
    const m = new t[C]();
    for (let i = 0; i < N; i++) m.set(keys[i], i);
    for (const [name, f] of Object.entries(CALLS)) {
      let ok = false;
      out[`${C} ${name}`] = bestNs(() => { ok = f(m, keys, entries); }, PER[name]);
      if (!ok) throw new Error(`${C} ${name}: wrong results`);
    }
  }
  const members = keys;
  let s = new t.DashSet();
  out['DashSet new DashSet(members)'] = bestNs(() => { s = new t.DashSet(members); }, N);
  // Each removal timed alone, on a set refilled untimed.
  const timedOnFull = (remove) => {
    let best = Infinity;
    for (let pass = 0; pass < 5; pass++) {
      s = new t.DashSet(members);
      const t0 = process.hrtime.bigint();
      remove(s);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
      if (s.size !== 0) throw new Error('DashSet: not emptied');
    }
    return best;
  };
  out['DashSet deleteMany'] = timedOnFull((set) => set.deleteMany(members));
  out['DashSet add loop'] = bestNs(() => { s = new t.DashSet(); for (let i = 0; i < N; i++) s.add(members[i]); }, N);
  out['DashSet delete loop'] = timedOnFull((set) => { for (let i = 0; i < N; i++) set.delete(members[i]); });
  // An LruLockMap's getOrCompute of a present key (a cache hit), awaited,
  // against awaiting an async function that returns a get: the floor of
  // any promise-returning lookup.
  const lru = new t.LruLockMap({ capacity: 2 * N });
  for (let i = 0; i < N; i++) lru.set(keys[i], i);
  const asyncGet = async (k) => lru.get(k);
  const bestAsync = async (f) => {
    let best = Infinity;
    for (let pass = 0; pass < 5; pass++) {
      const t0 = process.hrtime.bigint();
      const s = await f();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / (20 * N));
      if (s !== 20 * (N * (N - 1) / 2)) throw new Error('LruLockMap: wrong results');
    }
    return best;
  };
  out['LruLockMap getOrCompute'] = await bestAsync(async () => {
    let s = 0;
    for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) s += await lru.getOrCompute(keys[i], mustNotRun);
    return s;
  });
  out['LruLockMap await async get'] = await bestAsync(async () => {
    let s = 0;
    for (let r = 0; r < 20; r++) for (let i = 0; i < N; i++) s += await asyncGet(keys[i]);
    return s;
  });
  process.stdout.write(JSON.stringify(out));
}

const SET_CALLS = ['new DashSet(members)', 'deleteMany', 'add loop', 'delete loop'];
const LRU_CALLS = ['getOrCompute', 'await async get'];

function main() {
  const { dirs, rounds } = parseArgs(process.argv.slice(2), 3);
  const runs = alternate(__filename, dirs, rounds);
  const names = Object.keys(CALLS);
  const cells = (dir, prefix, list) => list.map((n) => range(runs.get(`${dir}\t`).map((r) => r[`${prefix} ${n}`])));
  printTable(['build', 'class'], names,
    CLASSES.flatMap((C) => dirs.map((dir) => [dir, C, ...cells(dir, C, names)])));
  console.log();
  printTable(['build', 'DashSet'], SET_CALLS, dirs.map((dir) => [dir, 'per member', ...cells(dir, 'DashSet', SET_CALLS)]));
  console.log();
  printTable(['build', 'LruLockMap'], LRU_CALLS, dirs.map((dir) => [dir, 'per call (hit)', ...cells(dir, 'LruLockMap', LRU_CALLS)]));
}

if (process.argv[2] === '--child') child(process.argv[3]);
else main();
