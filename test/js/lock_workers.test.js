'use strict';
// Key locks across worker threads: batch transfers that keep a total exact,
// locks released when their worker throws, exits or is terminated, waits
// dropped with their worker, a free event loop while waiting for another
// thread, and getOrCompute running fn once per key across the process.
const { describe, test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, startWorker, terminateAll } = require('./helpers');

const { LockMap, LruLockMap, DashMap, codes } = threadmap;

afterEach(terminateAll);

// A fixtures/locker.js worker with a promise API. (Its own dispatch: replies
// and "waiting" notices may be awaited at the same time.)
function startLocker(map, extra = {}) {
  const kind = map instanceof LruLockMap ? 'LruLockMap' : 'LockMap';
  const w = startWorker('locker.js', { workerData: { kind, handle: map.handle, ...extra } });
  const replies = new Map(); // seq -> { resolve, reject }
  const notices = new Map(); // key -> resolve, for { waiting: key }
  const seenWaiting = new Set();
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  w.worker.on('message', (m) => {
    if (m && m.ready) resolveReady();
    if (m && m.waiting !== undefined) {
      seenWaiting.add(m.waiting);
      const r = notices.get(m.waiting);
      if (r) r();
    }
    if (m && m.seq !== undefined && replies.has(m.seq)) {
      const { resolve, reject } = replies.get(m.seq);
      replies.delete(m.seq);
      if (m.ok) {
        resolve(m.result);
      } else {
        reject(Object.assign(new Error(m.error.message), m.error));
      }
    }
  });
  w.done.then(() => {
    for (const { reject } of replies.values()) reject(new Error('the worker exited before replying'));
  }, (err) => {
    for (const { reject } of replies.values()) reject(err);
  });
  let seq = 0;
  function send(op, fields = {}) {
    const id = ++seq;
    const reply = new Promise((resolve, reject) => replies.set(id, { resolve, reject }));
    w.worker.postMessage({ seq: id, op, ...fields });
    return reply;
  }
  const waiting = (key) => (seenWaiting.has(key) ? Promise.resolve() : new Promise((resolve) => notices.set(key, resolve)));
  return { worker: w.worker, done: w.done, ready, send, waiting };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LockMap across workers', () => {
  test('4 workers move money between 100 accounts for 2 s with batchLockAsync: the total is exact, nobody stalls', async () => {
    const m = new LockMap();
    const accounts = 100;
    for (let i = 0; i < accounts; i++) m.set(`acct${i}`, 1000);
    const until = Date.now() + 2000;
    const workers = [1, 2, 3, 4].map((seed) => startWorker('bank.js', {
      workerData: { handle: m.handle, accounts, until, seed },
    }));
    const results = await Promise.all(workers.map((w) => w.next()));
    await Promise.all(workers.map((w) => w.done));
    let total = 0;
    for (const [, v] of m) total += v;
    assert.equal(total, accounts * 1000);
    for (const r of results) {
      assert.ok(r.transfers > 100, `every worker made progress (${r.transfers} transfers)`);
      assert.ok(r.longestGapMs < 1500, `no worker stalled (longest gap ${r.longestGapMs.toFixed(1)} ms)`);
    }
    assert.equal(m.stateCount(), accounts, 'no lock state left behind');
  });

  test('a worker terminated while holding a lock: the main thread gets it within 100 ms', async () => {
    const m = new LockMap();
    const w = startLocker(m);
    await w.ready;
    await w.send('lock', { key: 'k' });
    await w.send('setHeld', { key: 'k', value: 'from worker' });
    assert.equal(m.tryLock('k'), undefined);
    const waiting = m.lockAsync('k', { timeout: 5000 });
    const t0 = performance.now();
    await w.worker.terminate();
    const e = await waiting;
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `acquired ${ms.toFixed(1)} ms after terminate() was called`);
    assert.equal(e.value, 'from worker', 'what the holder stored stays');
    e.release();
  });

  test('a worker that throws, or calls process.exit, while holding a lock releases it', async () => {
    const m = new LockMap();
    for (const [op, value] of [['throwWhileHolding', 'thrown'], ['exitWhileHolding', 'exited']]) {
      const w = startLocker(m);
      await w.ready;
      // The worker locks, replies, then dies on its next turn.
      w.worker.on('error', () => {});
      await w.send(op, { key: op });
      const waiting = m.lockAsync(op, { timeout: 5000 });
      await w.done.catch(() => {});
      const e = await waiting;
      assert.equal(e.value, value);
      e.release();
    }
    assert.equal(m.stateCount(), 2);
  });

  // V8 acts on terminate() only when the thread runs JS again; a thread
  // parked in lock() runs none, so terminate() (and process.exit(), which
  // terminates and joins every worker) used to wait for ever.
  for (const Class of [LockMap, LruLockMap]) {
    test(`${Class.name}: a worker parked in a synchronous lock() with no timeout is terminated at once`, async () => {
      const m = Class === LruLockMap ? new LruLockMap({ capacity: 10 }) : new LockMap();
      const mine = m.lock('k');
      mine.value = 'main';
      const w = startLocker(m);
      await w.ready;
      w.send('lockSync', { key: 'k' }).catch(() => {}); // never answered
      await w.waiting('k');
      await sleep(50); // past its spin: parked
      const t0 = performance.now();
      await w.worker.terminate();
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `terminate() took ${ms.toFixed(0)} ms`);
      assert.equal(m.tryLock('k'), undefined, 'the main thread still holds the key');
      mine.release();
      const again = m.tryLock('k');
      assert.ok(again, 'the dead worker left no wait behind');
      assert.equal(again.value, 'main');
      again.release();
    });
  }

  // Each worker's update callback writes the key the other one holds: with
  // the default timeout (none) that is a deadlock, which the wait that
  // closes it reports as ERR_WOULD_DEADLOCK; that update changes nothing and
  // lets its key go, and both workers finish.
  test('two workers whose update callbacks write each other\'s key both finish', async () => {
    const m = new LockMap();
    const lib = JSON.stringify(require('./helpers').LIB);
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { LockMap } = require(${lib});
      const m = LockMap.from(workerData.handle);
      const [mine, other] = workerData.id === 0 ? ['a', 'b'] : ['b', 'a'];
      let ok = 0;
      const errors = {};
      for (let i = 0; i < 3000; i++) {
        try {
          m.update(mine, (v) => { m.set(other, i); return (v ?? 0) + 1; });
          ok++;
        } catch (e) {
          errors[e.code] = (errors[e.code] || 0) + 1;
        }
      }
      parentPort.postMessage({ ok, errors });
    `;
    const { Worker } = require('node:worker_threads');
    const results = await Promise.all([0, 1].map((id) => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { handle: m.handle, id } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    for (const r of results) {
      assert.deepStrictEqual(Object.keys(r.errors).filter((c) => c !== 'ERR_WOULD_DEADLOCK'), [], JSON.stringify(r.errors));
      assert.equal(r.ok + (r.errors.ERR_WOULD_DEADLOCK || 0), 3000);
      assert.ok(r.ok > 0, 'some updates went through');
    }
    const ea = m.tryLock('a');
    const eb = m.tryLock('b');
    assert.ok(ea && eb, 'no key left held');
    ea.release();
    eb.release();
  });

  test('process.exit() returns while a worker is parked in a synchronous lock()', () => {
    const { spawnSync } = require('node:child_process');
    const lib = JSON.stringify(require('./helpers').LIB);
    const code = `
      const { Worker } = require('node:worker_threads');
      const { LockMap } = require(${lib});
      const m = new LockMap();
      m.lock('k');
      const w = new Worker(\`
        const { parentPort, workerData } = require('node:worker_threads');
        const { LockMap } = require(${lib});
        const m = LockMap.from(workerData);
        parentPort.postMessage('parking');
        m.lock('k');
      \`, { eval: true, workerData: m.handle });
      w.once('message', () => setTimeout(() => process.exit(7), 100));
    `;
    const r = spawnSync(process.execPath, ['-e', code], { timeout: 20_000, encoding: 'utf8' });
    assert.equal(r.signal, null, `the process did not exit by itself: ${r.stderr}`);
    assert.equal(r.status, 7, r.stderr);
  });

  // retain runs its callback under a shard lock; a worker writing to that
  // shard waits for the shard lock, not a key lock. process.exit() from the
  // callback stops and joins that worker, which must give its wait up.
  test('process.exit() inside a retain callback returns while a worker waits for that shard', () => {
    const { spawnSync } = require('node:child_process');
    const lib = JSON.stringify(require('./helpers').LIB);
    const code = `
      const { Worker } = require('node:worker_threads');
      const { LockMap } = require(${lib});
      const m = new LockMap({ shards: 1 });
      m.set('a', 1);
      const w = new Worker(\`
        const { parentPort, workerData } = require('node:worker_threads');
        const { LockMap } = require(${lib});
        const m = LockMap.from(workerData);
        parentPort.postMessage('writing');
        for (let i = 0; ; i++) m.set('k', i);
      \`, { eval: true, workerData: m.handle });
      w.once('message', () => setTimeout(() => m.retain(() => process.exit(7)), 100));
    `;
    const r = spawnSync(process.execPath, ['-e', code], { timeout: 20_000, encoding: 'utf8' });
    assert.equal(r.signal, null, `the process did not exit by itself: ${r.stderr}`);
    assert.equal(r.status, 7, r.stderr);
  });

  test('a worker terminated while waiting asynchronously: its wait is dropped, the lock still works', async () => {
    const m = new LockMap();
    const baseline = m.stateCount();
    const mine = m.lock('k');
    const w = startLocker(m);
    await w.ready;
    w.send('lockAsync', { key: 'k' }).catch(() => {}); // never answered: the worker is terminated
    await w.waiting('k');
    await sleep(20); // the worker's wait is queued in the engine
    await w.worker.terminate();
    mine.release(); // would hand the lock to the dead worker's wait if it were still queued
    const again = await m.lockAsync('k', { timeout: 2000 });
    again.release();
    assert.equal(m.stateCount(), baseline, 'no state leaked');
  });

  test('a worker that calls process.exit or throws while waiting asynchronously: its wait is dropped', async () => {
    for (const code of ['process.exit(4)', "throw new Error('dies while waiting')"]) {
      const m = new LockMap();
      const mine = m.lock('k');
      const w = startWorker(`
        const { parentPort, workerData } = require('node:worker_threads');
        const { LockMap } = require(${JSON.stringify(require('./helpers').LIB)});
        const m = LockMap.from(workerData);
        m.lockAsync('k').then(() => parentPort.postMessage('granted?!'));
        setTimeout(() => { ${code}; }, 20);
      `, { workerData: m.handle });
      w.worker.on('error', () => {});
      await w.done.catch(() => {});
      // The 'exit' event can come before the worker's environment is torn
      // down: a grant racing with that teardown is released by it.
      mine.release();
      const again = await m.lockAsync('k', { timeout: 2000 });
      again.release();
      assert.equal(m.stateCount(), 0, 'no state leaked');
      assert.ok(!w.messages.includes('granted?!'));
    }
  });

  test('a worker blocked in a sync lock() ends when the lock is released, then its exit releases it', async () => {
    const m = new LockMap();
    const mine = m.lock('k');
    const w = startLocker(m);
    await w.ready;
    const acquired = w.send('lockSync', { key: 'k' });
    await w.waiting('k');
    await sleep(20);
    mine.release();
    await acquired; // the worker got the lock
    await w.worker.terminate();
    const e = m.lock('k', { timeout: 2000 });
    e.release();
    assert.equal(m.stateCount(), 0);
  });

  test('while the main thread awaits a lock a worker holds, its event loop keeps running', async () => {
    const m = new LockMap();
    const w = startLocker(m);
    await w.ready;
    await w.send('lock', { key: 'busy' });
    let ticks = 0;
    const iv = setInterval(() => { ticks++; }, 5);
    const waiting = m.lockAsync('busy');
    await sleep(100);
    assert.ok(ticks >= 8, `setInterval fired ${ticks} times while waiting`);
    await w.send('release', { key: 'busy' });
    const e = await waiting;
    clearInterval(iv);
    e.release();
  });

  // The fast setMany/deleteMany stop at the held key; the full path waits
  // for it and does the rest (lib/map_core.js, [kSetMany]).
  test('setMany and deleteMany wait for a key a worker holds, then finish', async () => {
    for (const m of [new LockMap(), new LruLockMap({ capacity: 16 })]) {
      const w = startLocker(m);
      await w.ready;
      await w.send('holdFor', { key: 'k', value: 'worker', ms: 60 });
      const t0 = Date.now();
      m.setMany([['a', 1], ['k', 2], ['b', 3]]);
      assert.ok(Date.now() - t0 >= 40, 'setMany waited for the held key');
      assert.deepStrictEqual([...m].sort(), [['a', 1], ['b', 3], ['k', 2]]);
      await w.send('holdFor', { key: 'b', value: 'held', ms: 60 });
      assert.equal(m.deleteMany(['a', 'absent', 'b', 'k']), 3);
      assert.equal(m.size, 0);
      await w.worker.terminate();
    }
  });

  // Many held keys, met at random points of the batches: each batch's
  // result is exact (only this thread writes; the workers only lock).
  test('setMany and deleteMany stay exact while workers lock and release their keys', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    for (const m of [new LockMap(), new LruLockMap({ capacity: 64 })]) {
      const lockers = [startLocker(m), startLocker(m)];
      await Promise.all(lockers.map((w) => w.ready));
      const churn = Promise.all(lockers.map((w) => w.send('churnLocks', { keys, ms: 400 })));
      const model = new Map();
      const end = Date.now() + 300;  // the workers churn for 400 ms from their start
      for (let round = 0; Date.now() < end; round++) {
        const batch = keys.filter((_, i) => (i * 7 + round) % 3 === 0);
        m.setMany(batch.map((k) => [k, round]));
        for (const k of batch) model.set(k, round);
        const gone = keys.filter((_, i) => (i * 5 + round) % 4 === 0);
        const want = gone.filter((k) => model.delete(k)).length;
        assert.equal(m.deleteMany(gone), want, `round ${round}`);
      }
      const taken = await churn;
      assert.ok(taken.every((n) => n > 0), 'both workers locked keys meanwhile');
      assert.deepStrictEqual([...m].sort(), [...model].sort());
      await Promise.all(lockers.map((w) => w.worker.terminate()));
    }
  });

  // A lockAsync that times out just as its grant was made: the grant was
  // once kept until this thread's next event-loop turn, so the key stayed
  // held by a thread told it had not got it (a sync lock it then waited
  // for, behind a holder waiting for that key, never ended).
  test('a lockAsync that times out with its grant on the way leaves the key free at once', async () => {
    const m = new LockMap();
    const w = startLocker(m);
    await w.ready;
    await w.send('holdFor', { key: 'k', value: 'worker', ms: 60 });
    const p = m.lockAsync('k', { timeout: 30 });
    // From the check phase (setImmediate), busy past both the timeout and
    // the worker's release: the loop's next callbacks are the timers',
    // before the poll phase that would deliver the grant.
    await new Promise((resolve) => setImmediate(resolve));
    const until = Date.now() + 300;
    while (Date.now() < until);
    await assert.rejects(p, (e) => e.code === codes.ERR_LOCK_TIMEOUT);
    const e = m.tryLock('k');
    assert.ok(e, 'the grant that came too late was released, not kept');
    assert.equal(e.value, 'worker');
    e.release();
    assert.deepEqual(threadmap.heldLocks(), { held: 0, waiting: 0 });
    await w.worker.terminate();
  });

  // abort() inside a callback that holds the waited key's shard: the wait
  // cannot leave the key's queue there, so it is abandoned and its grant
  // released the moment it is made. (The abort listener once threw
  // ERR_WOULD_DEADLOCK out of abort(), and the promise never settled.)
  test('a wait aborted inside a callback that holds its shard rejects ERR_ABORTED; its grant is passed on', async () => {
    for (const m of [new LockMap({ shards: 2 }), new LruLockMap({ capacity: 64, shards: 2 })]) {
      for (let i = 0; i < 16; i++) m.set(`v${i}`, i);
      // Inside retain, tryLock(key) is ERR_WOULD_DEADLOCK exactly while the
      // callback holds key's shard. Pick a key of the shard retain visits
      // second, so that the wait can be queued from the first.
      const inItsShard = (key) => {
        try {
          m.tryLock(key)?.release();
          return false;
        } catch (e) {
          if (e.code !== codes.ERR_WOULD_DEADLOCK) throw e;
          return true;
        }
      };
      const key = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].find((k) => {
        const seen = [];
        m.retain(() => { seen.push(inItsShard(k)); return true; });
        return !seen[0] && seen.includes(true);
      });
      const w = startLocker(m);
      await w.ready;
      await w.send('lock', { key });
      const ac = new AbortController();
      let p;
      m.retain(() => {
        if (p === undefined) {
          p = m.lockAsync(key, { signal: ac.signal });
        } else if (!ac.signal.aborted && inItsShard(key)) {
          ac.abort();
        }
        return true;
      });
      assert.ok(ac.signal.aborted, 'aborted inside the callback that held the key\'s shard');
      await assert.rejects(p, (e) => e.code === codes.ERR_ABORTED);
      assert.equal(threadmap.heldLocks().waiting, 0);
      await w.send('release', { key });
      const e = m.tryLock(key);
      assert.ok(e, 'the abandoned wait\'s grant was released as it was made');
      e.release();
      assert.deepEqual(threadmap.heldLocks(), { held: 0, waiting: 0 });
      await w.worker.terminate();
    }
  });

  test('sync lock from the main thread waits for a worker, then times out with ERR_LOCK_TIMEOUT', async () => {
    const m = new LockMap({ timeout: 30 });
    const w = startLocker(m);
    await w.ready;
    await w.send('lock', { key: 'k' });
    assert.throws(() => m.lock('k', { timeout: 30 }), (e) => e.code === codes.ERR_LOCK_TIMEOUT);
    assert.throws(() => m.set('k', 1), (e) => e.code === codes.ERR_LOCK_TIMEOUT, 'writes outside a lock wait up to the map timeout');
    assert.equal(m.has('k'), false);
    await w.send('setHeld', { key: 'k', value: 7 });
    await w.send('release', { key: 'k' });
    assert.equal(m.add('k'), 8);
  });
});

describe('LruLockMap.getOrCompute across workers', () => {
  test('4 workers asking for one key at once: fn runs once, all get its result', async () => {
    const m = new LruLockMap({ capacity: 100 });
    const counters = new DashMap();
    const workers = Array.from({ length: 4 }, () => startLocker(m, { counters: counters.handle }));
    await Promise.all(workers.map((w) => w.ready));
    const results = await Promise.all(workers.map((w) => w.send('getOrCompute', { key: 'k', delayMs: 100 })));
    assert.deepEqual(results, Array(4).fill('computed:k'));
    assert.equal(counters.get('calls:k'), 1);
    assert.equal(m.get('k'), 'computed:k');
  });

  test('a throwing fn reaches every waiting worker and nothing is cached', async () => {
    const m = new LruLockMap({ capacity: 100 });
    const counters = new DashMap();
    const workers = Array.from({ length: 4 }, () => startLocker(m, { counters: counters.handle }));
    await Promise.all(workers.map((w) => w.ready));
    const results = await Promise.allSettled(workers.map((w) => w.send('getOrCompute', { key: 'bad', delayMs: 100, fail: true })));
    assert.equal(counters.get('calls:bad'), 1);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.name, 'TypeError');
      assert.equal(r.reason.message, 'compute failed for bad');
      assert.equal(r.reason.code, 'E_COMPUTE');
    }
    assert.equal(m.has('bad'), false);
  });
});
