'use strict';
// Soak (issue 5, part 4): 1,000 rounds of create, share with workers, use,
// drop, across all five map classes. Resident memory after the soak stays within
// 10% of what it was after round 100, and the process's native live-map
// count returns to its starting value. THREADMAP_SOAK_ROUNDS overrides the
// round count.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { threadmap, gcUntil, LIB } = require('./helpers');

const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, liveMaps } = threadmap;
const ROUNDS = Number(process.env.THREADMAP_SOAK_ROUNDS || 1000);

const workers = [];
after(() => Promise.all(workers.map((w) => w.terminate())));

// One listener per worker for the whole soak (a listener or a promise per
// round would itself be what grows). The workers' young generation is
// capped at 2 MB: left alone, V8 grows each worker's heap reservation from
// 9 to 13 MB around round 600 while the live heap stays at 3.5 MB, which
// alone is +20% of RSS; capped, what is left to measure is threadmap's own
// memory.
function startSoakWorker() {
  const worker = new Worker(WORKER, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
  let expect = null;
  worker.on('message', (round) => {
    if (expect && expect.round === round) expect.resolve();
  });
  worker.on('error', (err) => { if (expect) expect.reject(err); });
  workers.push(worker);
  return {
    worker,
    run(msg) {
      return new Promise((resolve, reject) => {
        expect = { round: msg.round, resolve, reject };
        worker.postMessage(msg);
      });
    },
  };
}

// A worker that attaches to the maps it is sent, uses them, drops them and
// answers; every 50 rounds it also collects its garbage.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap } = require(${JSON.stringify(LIB)});
parentPort.on('message', async ({ round, dash, lock, lru, free, hop }) => {
  let d = DashMap.from(dash), l = LockMap.from(lock), c = LruLockMap.from(lru);
  let f = LockFreeMap.from(free), h = HopscotchMap.from(hop);
  for (let i = 0; i < 50; i++) {
    d.add('hits');
    d.set('k' + i, { round, i });
    const e = await l.lockAsync('k' + (i % 5));
    e.value = (e.value ?? 0) + 1;
    e.release();
    c.set(i, 'v' + i);
    f.add('hits');
    h.set('k' + i, 'v' + round);
  }
  d = l = c = f = h = null;
  if (round % 50 === 0) globalThis.gc();
  parentPort.postMessage(round);
});
`;

test(`soak: ${ROUNDS} rounds of create, share with 2 workers, use, drop`, { timeout: 600_000 }, async () => {
  const baseline = liveMaps();
  const pool = [startSoakWorker(), startSoakWorker()];
  let rssAt100 = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    let dash = new DashMap();
    let lock = new LockMap();
    let lru = new LruLockMap({ capacity: 20 });
    let free = new LockFreeMap();
    let hop = new HopscotchMap();
    await Promise.all(pool.map((w) => w.run({
      round, dash: dash.handle, lock: lock.handle, lru: lru.handle, free: free.handle, hop: hop.handle,
    })));
    assert.equal(dash.get('hits'), 100);
    for (let i = 0; i < 5; i++) assert.equal(lock.get(`k${i}`), 20);
    assert.ok(lru.size <= 20);
    assert.equal(free.get('hits'), 100);
    assert.equal(hop.size, 50);
    dash = lock = lru = free = hop = null;
    if (round % 50 === 0) globalThis.gc();
    if (round === 100) {
      await gcUntil(() => false, 200);
      rssAt100 = process.memoryUsage().rss;
    }
  }
  await gcUntil(() => false, 300);
  const rssEnd = process.memoryUsage().rss;
  // Let the workers collect too, then stop them: their handles die with them.
  await Promise.all(pool.map((w) => w.worker.terminate()));
  assert.ok(await gcUntil(() => liveMaps() === baseline, 5000), `live maps back to ${baseline} (now ${liveMaps()})`);
  // Not under a sanitizer (scripts/js-sanitize.js): ASan keeps freed memory
  // in its quarantine by design, so resident memory grows with it. The
  // live-map count above still holds there.
  if (ROUNDS >= 200 && !process.env.THREADMAP_TEST_SANITIZER) {
    const growth = rssEnd / rssAt100;
    assert.ok(growth <= 1.10, `RSS after round ${ROUNDS} is ${(growth * 100).toFixed(1)}% of after round 100 (${(rssEnd / 2 ** 20).toFixed(1)} vs ${(rssAt100 / 2 ** 20).toFixed(1)} MiB)`);
  }
});
