// A de-duplication filter shared by worker threads.
//
// Messages arrive at several consumers, with duplicates, and each message
// must be processed once. The shared DashMap maps a message's digest (a
// Buffer key: byte keys compare by content) to when it was first seen.
// check() is a compare-and-set loop: it claims an unseen message with
// compareAndSet(key, undefined, now), and re-claims one whose entry is older
// than the TTL with compareAndSet(key, seenAt, now), so two workers can never
// both win the same message. cleanup() drops expired entries with retain().
//
// Check: 4 workers consume overlapping streams (1,000 distinct messages, each
// delivered 2-4 times, about 3,000 deliveries in all); every distinct message is
// processed exactly once, counted per message in a second DashMap.
//
// Run: npm run example -- dedup-filter
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { DashMap } from 'threadmap';

class DedupFilter {
  constructor(readonly seen: DashMap<Uint8Array, number>, readonly ttlMs: number) {}

  static digest(message: string): Buffer {
    return createHash('sha256').update(message).digest();
  }

  /** True if `message` is new (or its last sighting is older than the TTL): the caller processes it. */
  check(message: string): boolean {
    const key = DedupFilter.digest(message);
    for (;;) {
      const now = Date.now();
      const seenAt = this.seen.get(key);
      if (seenAt === undefined) {
        if (this.seen.compareAndSet(key, undefined, now)) return true;
      } else if (now - seenAt < this.ttlMs) {
        return false;
      } else if (this.seen.compareAndSet(key, seenAt, now)) {
        return true;
      }
      // Another thread changed the entry between our read and our write: retry.
    }
  }

  cleanup(): number {
    const now = Date.now();
    return this.seen.retain((seenAt) => now - seenAt < this.ttlMs);
  }
}

const WORKERS = 4;
const DISTINCT = 1000;
const TTL_MS = 60_000;

interface Shared { seen: SharedArrayBuffer; processed: SharedArrayBuffer; stream: string[] }

// Every worker's stream: message m goes to 2-4 workers, in a shuffled order.
function streams(): string[][] {
  const out: string[][] = Array.from({ length: WORKERS }, () => []);
  for (let m = 0; m < DISTINCT; m++) {
    const copies = 2 + (m % 3);
    for (let c = 0; c < copies; c++) out[(m + c) % WORKERS].push(`order-${m}:{"qty":${m % 7}}`);
  }
  for (const s of out) for (let i = s.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [s[i], s[j]] = [s[j], s[i]];
  }
  return out;
}

if (isMainThread) {
  main().catch((err) => {
    console.error('dedup-filter: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const { seen, processed, stream } = workerData as Shared;
  const filter = new DedupFilter(DashMap.from<Uint8Array, number>(seen), TTL_MS);
  const done = DashMap.from<string, number>(processed);
  // Start together with the other workers, so that they race for messages.
  parentPort!.once('message', () => {
    let mine = 0;
    for (const message of stream) {
      if (filter.check(message)) {
        done.add(message); // "process" it
        mine++;
      }
    }
    parentPort!.postMessage(mine);
  });
  parentPort!.postMessage('ready');
}

async function main(): Promise<void> {
  // The seed's walk-through first, in one thread.
  const small = new DedupFilter(new DashMap<Uint8Array, number>(), TTL_MS);
  const verdicts = ['msg1', 'msg2', 'msg1', 'msg3', 'msg2', 'msg4'].map((m) => {
    const fresh = small.check(m);
    console.log(fresh ? `processing: ${m}` : `skipping duplicate: ${m}`);
    return fresh;
  });
  assert.deepEqual(verdicts, [true, true, false, true, false, true]);

  // Shared by 4 workers.
  const filter = new DedupFilter(new DashMap<Uint8Array, number>(), TTL_MS);
  const processed = new DashMap<string, number>();
  const all = streams();
  const workers = all.map((stream) => {
    const data: Shared = { seen: filter.seen.handle, processed: processed.handle, stream };
    return new Worker(__filename, { workerData: data });
  });
  const message = (w: Worker) => new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await Promise.all(workers.map(message)); // all ready
  const perWorker = (await Promise.all(workers.map((w) => {
    const result = message(w);
    w.postMessage('go');
    return result;
  }))) as number[];
  const deliveries = all.reduce((a, s) => a + s.length, 0);
  console.log(`${WORKERS} workers, ${deliveries} deliveries of ${DISTINCT} messages: processed ${perWorker.join(' + ')} = ${perWorker.reduce((a, b) => a + b, 0)}; filter holds ${filter.seen.size} digests`);
  assert.equal(perWorker.reduce((a, b) => a + b, 0), DISTINCT);
  assert.equal(processed.size, DISTINCT);
  for (const [message, times] of processed) assert.equal(times, 1, message);
  assert.equal(filter.seen.size, DISTINCT);

  // Expiry: with a 100 ms TTL a message is new again once its entry is old.
  const short = new DedupFilter(new DashMap<Uint8Array, number>(), 100);
  const before = [short.check('ping'), short.check('ping')];
  await sleep(150);
  const again = short.check('ping');
  short.check('pong');
  await sleep(150);
  const removed = short.cleanup();
  console.log(`ttl 100 ms: ${JSON.stringify(before)}, after 150 ms: ${again}; cleanup removed ${removed}`);
  assert.deepEqual(before, [true, false]);
  assert.equal(again, true);
  assert.equal(removed, 2);
  console.log('dedup-filter: OK: every message processed exactly once across all workers');
}
