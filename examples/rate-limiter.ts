// A fixed-window rate limiter shared by worker threads.
//
// One DashMap holds, per client, the count and start of its current window.
// check(client) is a single update(): the callback runs under the key's shard
// lock, so "reset if the window is over, then count this request" is atomic
// across every thread, and a client gets exactly `limit` requests per window
// however many workers serve it at once.
//
// Check: 4 workers each send 60 requests for each of 5 clients (limit 25 per
// window of 60 s): exactly 25 per client are allowed, 215 refused. Then a
// client with a 200 ms window is allowed again after its window ends, and
// cleanupExpired() drops the stale windows with retain().
//
// Run: npm run example -- rate-limiter
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { DashMap } from 'threadmap';

interface Window { count: number; windowStart: number }

class RateLimiter {
  constructor(
    readonly entries: DashMap<string, Window>,
    readonly maxRequests: number,
    readonly windowMs: number,
  ) {}

  static create(maxRequests: number, windowMs: number): RateLimiter {
    return new RateLimiter(new DashMap<string, Window>(), maxRequests, windowMs);
  }

  /** Counts a request of `client`; true if it is within the limit. */
  check(client: string): boolean {
    const now = Date.now(); // Date.now(), not performance.now(): each thread has its own time origin
    const entry = this.entries.update(client, (old) => {
      if (old === undefined || now - old.windowStart > this.windowMs) return { count: 1, windowStart: now };
      return { count: old.count + 1, windowStart: old.windowStart };
    })!;
    return entry.count <= this.maxRequests;
  }

  remaining(client: string): number {
    const entry = this.entries.get(client);
    if (entry === undefined || Date.now() - entry.windowStart > this.windowMs) return this.maxRequests;
    return Math.max(0, this.maxRequests - entry.count);
  }

  cleanupExpired(): number {
    const now = Date.now();
    return this.entries.retain((entry) => now - entry.windowStart <= this.windowMs);
  }
}

const WORKERS = 4;
const CLIENTS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const REQUESTS_PER_CLIENT_PER_WORKER = 60;
const LIMIT = 25;
const WINDOW_MS = 60_000;

interface Shared { entries: SharedArrayBuffer; results: SharedArrayBuffer }

if (isMainThread) {
  main().catch((err) => {
    console.error('rate-limiter: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const shared = workerData as Shared;
  const limiter = new RateLimiter(DashMap.from<string, Window>(shared.entries), LIMIT, WINDOW_MS);
  const results = DashMap.from<string, number>(shared.results);
  // Interleave the clients so that the workers contend on the same keys.
  for (let i = 0; i < REQUESTS_PER_CLIENT_PER_WORKER; i++) {
    for (const client of CLIENTS) results.add(`${client}:${limiter.check(client) ? 'allowed' : 'refused'}`);
  }
  parentPort!.postMessage('done');
}

async function main(): Promise<void> {
  // The seed's walk-through first: one client, limit 5, 7 requests.
  const small = RateLimiter.create(5, WINDOW_MS);
  for (let i = 0; i < 7; i++) {
    const allowed = small.check('user_123');
    console.log(`request ${i + 1}: allowed=${allowed}, remaining=${small.remaining('user_123')}`);
    assert.equal(allowed, i < 5);
  }

  // The same limiter type, shared by 4 workers.
  const limiter = RateLimiter.create(LIMIT, WINDOW_MS);
  const results = new DashMap<string, number>();
  const shared: Shared = { entries: limiter.entries.handle, results: results.handle };
  await Promise.all(Array.from({ length: WORKERS }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(__filename, { workerData: shared });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  })));
  const sent = WORKERS * REQUESTS_PER_CLIENT_PER_WORKER;
  console.log(`${WORKERS} workers, ${sent} requests per client, limit ${LIMIT} per ${WINDOW_MS / 1000} s window:`);
  for (const client of CLIENTS) {
    const allowed = results.get(`${client}:allowed`) ?? 0;
    const refused = results.get(`${client}:refused`) ?? 0;
    console.log(`  ${client.padEnd(6)} allowed ${allowed}, refused ${refused}, remaining ${limiter.remaining(client)}`);
    assert.equal(allowed, LIMIT, `${client} allowed`);
    assert.equal(refused, sent - LIMIT, `${client} refused`);
    assert.equal(limiter.entries.get(client)!.count, sent);
  }

  // A short window ends, and the client is allowed again.
  const short = RateLimiter.create(2, 200);
  const first = [short.check('zed'), short.check('zed'), short.check('zed')];
  await sleep(250);
  const afterWindow = short.check('zed');
  short.check('yan');
  await sleep(250);
  const removed = short.cleanupExpired();
  console.log(`short window: ${JSON.stringify(first)}, after 250 ms: ${afterWindow}; cleanupExpired removed ${removed}`);
  assert.deepEqual(first, [true, true, false]);
  assert.equal(afterWindow, true);
  assert.equal(removed, 2);
  assert.equal(short.entries.size, 0);
  console.log('rate-limiter: OK: exactly the limit allowed per client across all workers');
}
