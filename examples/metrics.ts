// Metrics collection from worker threads into shared DashMaps.
//
// Counters are add() (atomic; a bigint counter for bytes, which may pass
// 2^53), gauges are set() (last write wins) or update() for a high-water mark,
// and a latency histogram is one counter per bucket. The main thread scrapes
// a snapshot while the workers run, as a /metrics endpoint would, without
// asking them anything.
//
// Check: 4 workers record 5,000 jobs each. The totals add up exactly, the
// histogram buckets sum to the job count, each worker's gauge holds its last
// value, the high-water mark is the largest value any worker saw, and
// successive scrapes never see a counter go down.
//
// Run: npm run example -- metrics
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { DashMap } from 'threadmap';

const WORKERS = 4;
const JOBS = 5000; // per worker
const BUCKETS = [1, 5, 10, 50, 100, Infinity]; // ms, upper bounds

interface Maps { counters: SharedArrayBuffer; gauges: SharedArrayBuffer; bytes: SharedArrayBuffer }

class Metrics {
  readonly counters: DashMap<string, number>;
  readonly gauges: DashMap<string, number>;
  readonly bytes: DashMap<string, bigint>;

  constructor(maps?: Maps) {
    this.counters = maps ? DashMap.from(maps.counters) : new DashMap();
    this.gauges = maps ? DashMap.from(maps.gauges) : new DashMap();
    this.bytes = maps ? DashMap.from(maps.bytes) : new DashMap();
  }

  get handles(): Maps {
    return { counters: this.counters.handle, gauges: this.gauges.handle, bytes: this.bytes.handle };
  }

  increment(name: string, by = 1): void { this.counters.add(name, by); }
  setGauge(name: string, value: number): void { this.gauges.set(name, value); }
  maxGauge(name: string, value: number): void {
    this.gauges.update(name, (old) => (old === undefined || value > old ? value : old));
  }
  addBytes(name: string, n: bigint): void { this.bytes.add(name, n); }
  observe(name: string, ms: number): void {
    const le = BUCKETS.find((b) => ms <= b)!;
    this.counters.add(`${name}_bucket{le="${le}"}`);
    this.counters.add(`${name}_count`);
  }

  snapshot(): Map<string, number | bigint> {
    const out = new Map<string, number | bigint>();
    for (const [k, v] of this.counters) out.set(k, v);
    for (const [k, v] of this.gauges) out.set(k, v);
    for (const [k, v] of this.bytes) out.set(k, v);
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  }
}

// Deterministic pseudo-random numbers, so the main thread can replay a worker.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Job { latencyMs: number; bytes: number; failed: boolean; queue: number }
function* jobs(worker: number): Generator<Job> {
  const random = rng(1234 + worker);
  for (let i = 0; i < JOBS; i++) {
    yield {
      latencyMs: Math.round(-Math.log(1 - random() * 0.999) * 8),
      bytes: Math.floor(random() * 1e6),
      failed: random() < 0.02,
      queue: Math.floor(random() * 1000),
    };
  }
}

if (isMainThread) {
  main().catch((err) => {
    console.error('metrics: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  record(workerData.index as number, workerData.maps as Maps).then(() => parentPort!.postMessage('done'));
}

async function record(me: number, maps: Maps): Promise<void> {
  const metrics = new Metrics(maps);
  let n = 0;
  for (const job of jobs(me)) {
    metrics.increment('jobs_total');
    if (job.failed) metrics.increment('jobs_failed_total');
    metrics.observe('job_latency_ms', job.latencyMs);
    metrics.addBytes('bytes_processed_total', BigInt(job.bytes));
    metrics.setGauge(`queue_depth{worker="${me}"}`, job.queue);
    metrics.maxGauge('queue_depth_max', job.queue);
    if (++n % 1000 === 0) await sleep(1); // let the scrapes interleave
  }
}

async function main(): Promise<void> {
  const metrics = new Metrics();
  metrics.setGauge('workers', WORKERS);
  const done = Promise.all(Array.from({ length: WORKERS }, (_, index) => new Promise<void>((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { index, maps: metrics.handles } });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  })));

  // Scrape while the workers run: counters must never go down between scrapes.
  let finished = false;
  void done.then(() => { finished = true; }, () => { finished = true; });
  let last = 0;
  let scrapes = 0;
  while (!finished) {
    const seen = metrics.counters.get('jobs_total') ?? 0;
    assert.ok(seen >= last, 'jobs_total went down');
    last = seen;
    scrapes++;
    await sleep(5);
  }
  await done;

  const snap = metrics.snapshot();
  console.log(`# ${scrapes} scrapes during the run; final snapshot:`);
  for (const [k, v] of snap) console.log(`${k} ${v}`);

  // Replay every worker's jobs in one thread to know the exact answers.
  let failed = 0;
  let bytes = 0n;
  let maxQueue = 0;
  const lastQueue: number[] = [];
  const buckets = new Map<number, number>();
  for (let w = 0; w < WORKERS; w++) {
    for (const job of jobs(w)) {
      if (job.failed) failed++;
      bytes += BigInt(job.bytes);
      maxQueue = Math.max(maxQueue, job.queue);
      lastQueue[w] = job.queue;
      const le = BUCKETS.find((b) => job.latencyMs <= b)!;
      buckets.set(le, (buckets.get(le) ?? 0) + 1);
    }
  }
  assert.equal(snap.get('jobs_total'), WORKERS * JOBS);
  assert.equal(snap.get('job_latency_ms_count'), WORKERS * JOBS);
  assert.equal(snap.get('jobs_failed_total'), failed);
  assert.equal(snap.get('bytes_processed_total'), bytes);
  assert.equal(snap.get('queue_depth_max'), maxQueue);
  for (let w = 0; w < WORKERS; w++) assert.equal(snap.get(`queue_depth{worker="${w}"}`), lastQueue[w]);
  for (const [le, n] of buckets) assert.equal(snap.get(`job_latency_ms_bucket{le="${le}"}`), n, `bucket ${le}`);
  console.log('metrics: OK: counters, bigint bytes, histogram, gauges and high-water mark match a single-threaded replay');
}
