// A getOrCompute cache in front of a slow function, shared by worker threads.
//
// LruLockMap.getOrCompute(key, fn) returns the cached value, or runs fn once
// for the key while every other caller, in any thread, waits for that result.
// So a slow function behind the cache runs once per key across all workers,
// not once per worker (the seed's get-then-insert does not promise that: two
// threads can both miss and both compute). If fn fails, the callers waiting
// at that moment get the error, nothing is stored, and a later call computes
// again; after the TTL a value is computed anew.
//
// Check: 4 workers start together and each asks for the same 12 keys, all at
// once: the slow function ran exactly once per key (counted in a shared
// DashMap), every worker got the same values, a failing key failed for every
// worker and then succeeded on retry, and an expired key is recomputed.
//
// Run: npm run example -- get-or-compute
import { Worker, isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { DashMap, LruLockMap } from 'threadmap';

const WORKERS = 4;
const KEYS = Array.from({ length: 12 }, (_, i) => `report-${i}`);
const TTL_MS = 1000;

interface Shared { cache: SharedArrayBuffer; calls: SharedArrayBuffer }
interface Result { values: Record<string, string>; failures: string[]; retried: string }

/** The slow function: 100 ms per call, counted per key in a shared DashMap. */
async function slowCompute(key: string, calls: DashMap<string, number>): Promise<string> {
  calls.add(key);
  await sleep(100);
  if (key === 'flaky' && calls.get('upstream down') === 1) throw new Error('upstream unavailable');
  return `${key}: ${key.length * 100} (computed in thread ${threadId})`;
}

if (isMainThread) {
  main().catch((err) => {
    console.error('get-or-compute: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const { cache: cacheHandle, calls: callsHandle } = workerData as Shared;
  const cache = LruLockMap.from<string, string>(cacheHandle);
  const calls = DashMap.from<string, number>(callsHandle);
  const compute = (key: string) => slowCompute(key, calls);
  parentPort!.once('message', async () => {
    // Every key at once, in an order of this worker's own.
    const values: Record<string, string> = {};
    const order = KEYS.map((_, i) => KEYS[(i + workerData.index * 5) % KEYS.length]);
    const [results, flaky] = await Promise.all([
      Promise.all(order.map((k) => cache.getOrCompute(k, compute))),
      cache.getOrCompute('flaky', compute).then(() => 'ok', (err: Error) => err.message),
    ]);
    order.forEach((k, i) => { values[k] = results[i]; });
    parentPort!.postMessage({ values, failures: [flaky], retried: '' } satisfies Result);
    parentPort!.once('message', async () => {
      // After every worker saw the failure: a later call computes again.
      const retried = await cache.getOrCompute('flaky', compute);
      parentPort!.postMessage({ values: {}, failures: [], retried } satisfies Result);
    });
  });
  parentPort!.postMessage('ready');
}

async function main(): Promise<void> {
  const cache = new LruLockMap<string, string>({ capacity: 100, ttl: TTL_MS });
  const calls = new DashMap<string, number>();
  calls.set('upstream down', 1); // 'flaky' fails until this is cleared
  const shared: Shared = { cache: cache.handle, calls: calls.handle };
  const workers = Array.from({ length: WORKERS }, (_, index) => new Worker(__filename, { workerData: { ...shared, index } }));
  const next = () => Promise.all(workers.map((w) => new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  })));
  await next(); // all ready
  const started = Date.now();
  const round = next();
  for (const w of workers) w.postMessage('go');
  const results = (await round) as Result[];
  const ms = Date.now() - started;

  console.log(`${WORKERS} workers x ${KEYS.length} keys in ${ms} ms (100 ms per computation):`);
  for (const k of KEYS.slice(0, 3)) console.log(`  ${results[0].values[k]}   computed ${calls.get(k)}x`);
  console.log(`  ... calls per key: ${JSON.stringify(KEYS.map((k) => calls.get(k)))}`);
  for (const k of KEYS) {
    assert.equal(calls.get(k), 1, `${k} computed once`);
    for (const r of results) assert.equal(r.values[k], results[0].values[k], `every worker got the same ${k}`);
  }
  console.log(`  flaky: ${JSON.stringify(results.map((r) => r.failures[0]))}, computed ${calls.get('flaky')}x`);
  // Usually 1: the workers queued behind one computation and all got its
  // error. A worker that asked after it failed computes (and fails) again.
  for (const r of results) assert.equal(r.failures[0], 'upstream unavailable');
  const failedCalls = calls.get('flaky')!;
  assert.ok(failedCalls >= 1 && failedCalls <= WORKERS);
  assert.equal(cache.peek('flaky'), undefined, 'a failure is not stored');

  calls.delete('upstream down');
  const retry = next();
  for (const w of workers) w.postMessage('retry');
  const retried = (await retry) as Result[];
  await Promise.all(workers.map((w) => w.terminate()));
  console.log(`  flaky, retried by every worker: computed ${calls.get('flaky')}x in all`);
  assert.equal(calls.get('flaky'), failedCalls + 1, 'the retry computed once for all workers');
  for (const r of retried) assert.equal(r.retried, retried[0].retried);

  // After the TTL the value is computed again (here in the main thread).
  const compute = (key: string) => slowCompute(key, calls);
  await cache.getOrCompute(KEYS[0], compute); // a hit
  await sleep(TTL_MS + 100);
  await cache.getOrCompute(KEYS[0], compute); // expired: computed anew
  console.log(`  ${KEYS[0]} after the ${TTL_MS} ms TTL: computed ${calls.get(KEYS[0])}x; stats ${JSON.stringify(cache.stats())}`);
  assert.equal(calls.get(KEYS[0]), 2);
  console.log('get-or-compute: OK: the slow function ran once per key across all workers');
}
