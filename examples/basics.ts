// The basics of a DashMap, shared by worker threads: creating a map, basic
// operations, reads that return copies, the "entry API" (getOrInsert,
// update, compareAndSet), iteration, bulk operations, shard inspection, and
// concurrent writers and readers in 6 workers.
//
// Run: npm run example -- basics
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { DashMap } from 'threadmap';

const WRITERS = 4;
const READERS = 2;
const KEYS_PER_WRITER = 1000;

interface Job {
  role: 'writer' | 'reader';
  id: number;
  map: SharedArrayBuffer; // DashMap<string, number>
}

function runWorker(job: Job): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

function creating(): void {
  console.log('-- creating');
  const plain = new DashMap<number, string>();
  const reserved = new DashMap<number, number>({ capacity: 100 });
  const sharded = new DashMap<number, number>({ shards: 16 }); // a power of two
  const both = new DashMap<number, number>({ capacity: 1000, shards: 32 });
  console.log(`default: size ${plain.size}, ${plain.shardCount} shards`);
  console.log(`capacity 100: size ${reserved.size}; shards 16: ${sharded.shardCount}; both: ${both.shardCount} shards`);
  assert.equal(sharded.shardCount, 16);
  assert.equal(both.shardCount, 32);
  // There is no custom hasher: keys hash natively (strings, numbers, bigints,
  // booleans and byte arrays).
}

function basicOperations(): void {
  console.log('-- basic operations');
  const map = new DashMap<string, number>();
  map.set('one', 1).set('two', 2).set('three', 3);
  console.log(`size ${map.size}; get('one') = ${map.get('one')}; has('two') = ${map.has('two')}`);
  const removed = map.take('two'); // remove and return the value, atomically
  console.log(`take('two') = ${removed}; has('two') = ${map.has('two')}`);
  map.clear();
  console.log(`after clear: size ${map.size}`);
  assert.equal(removed, 2);
  assert.equal(map.size, 0);

  // Reads return copies, never references into the map: mutate a copy and
  // set it back, or change it in place with update().
  const words = new DashMap<number, { text: string }>();
  words.set(1, { text: 'hello' }).set(2, { text: 'world' });
  const copy = words.get(2)!;
  copy.text += '!';
  assert.equal(words.get(2)!.text, 'world');
  words.update(2, (old) => old && { text: old.text + '!' });
  console.log(`update(2): ${words.get(2)!.text}`);
  assert.equal(words.get(2)!.text, 'world!');
}

function entryApi(): void {
  console.log('-- entry API');
  const map = new DashMap<string, number>();
  // or_insert: the existing value, or the new one after inserting it.
  console.log(`getOrInsert('counter', 0) = ${map.getOrInsert('counter', 0)}`);
  console.log(`getOrInsert('counter', 99) = ${map.getOrInsert('counter', 99)}`);
  // or_insert_with: compute only when absent (update runs under the shard lock).
  let computed = 0;
  const lazy = () => map.update('lazy', (old) => old ?? (computed++, 42));
  lazy();
  lazy();
  console.log(`lazy = ${map.get('lazy')}, computed ${computed} time(s)`);
  // and_modify(+1).or_insert(1), ten times:
  for (let i = 0; i < 10; i++) map.update('hits', (old) => (old ?? 0) + 1);
  // ... which for numbers is simply add():
  for (let i = 0; i < 10; i++) map.add('hits2');
  console.log(`hits = ${map.get('hits')}, hits2 = ${map.get('hits2')}`);
  assert.equal(map.get('counter'), 0);
  assert.equal(computed, 1);
  assert.equal(map.get('hits'), 10);
  assert.equal(map.get('hits2'), 10);
}

function iteration(): void {
  console.log('-- iteration');
  const map = new DashMap<number, string>();
  map.setMany([[1, 'one'], [2, 'two'], [3, 'three']]);
  for (const [k, v] of map) console.log(`  ${k} -> ${v}`);
  // "Mutable iteration": iterate the keys and update each one.
  for (const k of map.keys()) map.update(k, (v) => v?.toUpperCase());
  console.log(`keys ${JSON.stringify([...map.keys()].sort())}, values ${JSON.stringify([...map.values()].sort())}`);
  assert.deepEqual([...map.values()].sort(), ['ONE', 'THREE', 'TWO']);
}

function atomicUpdates(): void {
  console.log('-- atomic updates');
  const map = new DashMap<string, number>();
  map.set('counter', 0);
  for (let i = 0; i < 10; i++) map.add('counter');
  map.update('counter', (v) => (v ?? 0) * 2); // alter
  console.log(`after add x10 and alter x2: ${map.get('counter')}`);
  // Compare-and-swap loop: read, compute, store only if nobody changed it.
  for (;;) {
    const current = map.get('counter');
    if (current !== 20) throw new Error(`unexpected ${current}`);
    if (map.compareAndSet('counter', current, 100)) break;
  }
  console.log(`after CAS: ${map.get('counter')}`);
  assert.equal(map.get('counter'), 100);
}

function bulk(): void {
  console.log('-- bulk operations and shards');
  const map = new DashMap<number, string>({ shards: 4 });
  map.setMany([[1, 'one'], [2, 'two'], [3, 'three']]);
  const removed = map.retain((_v, k) => k < 3);
  console.log(`setMany 3, retain(k < 3) removed ${removed}, size ${map.size}`);
  assert.equal(map.size, 2);
  for (let i = 0; i < 100; i++) map.set(i, `value_${i}`);
  const sizes = map.shardSizes();
  console.log(`${map.shardCount} shards, sizes ${JSON.stringify(sizes)}, total ${sizes.reduce((a, b) => a + b, 0)}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 100);
}

async function concurrentAccess(): Promise<void> {
  console.log(`-- concurrent access: ${WRITERS} writer and ${READERS} reader workers`);
  const map = new DashMap<string, number>();
  // Keys the readers look for, present before they start.
  for (let j = 0; j < 500; j++) map.set(`thread_0_key_${j}`, j);
  const jobs: Job[] = [];
  for (let i = 0; i < WRITERS; i++) jobs.push({ role: 'writer', id: i, map: map.handle });
  for (let i = 0; i < READERS; i++) jobs.push({ role: 'reader', id: i, map: map.handle });
  const results = await Promise.all(jobs.map(runWorker));
  const found = results.slice(WRITERS);
  console.log(`final map size: ${map.size}; readers found ${found.join(', ')} of 500 keys each`);
  assert.equal(map.size, WRITERS * KEYS_PER_WRITER);
  for (let i = 0; i < WRITERS; i++) {
    for (let j = 0; j < KEYS_PER_WRITER; j += 97) assert.equal(map.get(`thread_${i}_key_${j}`), i * 1000 + j);
  }
  for (const n of found) assert.equal(n, 500);
}

function work(job: Job): number {
  const map = DashMap.from<string, number>(job.map);
  if (job.role === 'writer') {
    for (let j = 0; j < KEYS_PER_WRITER; j++) map.set(`thread_${job.id}_key_${j}`, job.id * 1000 + j);
    return KEYS_PER_WRITER;
  }
  let found = 0;
  for (let j = 0; j < 500; j++) if (map.get(`thread_0_key_${j}`) !== undefined) found++;
  return found;
}

async function main(): Promise<void> {
  creating();
  basicOperations();
  entryApi();
  iteration();
  atomicUpdates();
  bulk();
  await concurrentAccess();
  console.log('basics: OK');
}

if (isMainThread) {
  main().catch((err) => {
    console.error('basics: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  parentPort!.postMessage(work(workerData as Job));
}
