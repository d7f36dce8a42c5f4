// Request counters behind a node:http server whose requests are handled in
// worker threads.
//
// The main thread owns the listening socket (worker_threads cannot share one)
// and hands each request to one of 4 workers, round robin. The worker counts
// it in a shared DashMap with add() (per path, per user, per worker, total)
// and answers with the path's new count. /stats is answered by the main
// thread straight from the same map: no worker is asked for its numbers.
//
// Check: the server listens on port 0 and fires 400 requests at itself, 50 at
// a time; every counter must add up exactly, and the counts returned for one
// path must be exactly 1..n (each increment atomic and seen by one request).
//
// Run: npm run example -- request-counters
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strict as assert } from 'node:assert';
import { DashMap } from 'threadmap';

const WORKERS = 4;
const REQUESTS = 400;
const PARALLEL = 50;
const PATHS = ['/', '/api/items', '/api/items/7', '/api/login', '/api/search'];
const USERS = ['user_0', 'user_1', 'user_2'];

interface Task { id: number; path: string; user: string }
interface Reply { id: number; status: number; body: string }

if (isMainThread) {
  main().catch((err) => {
    console.error('request-counters: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  // Worker: handle requests, counting them in the shared map.
  const counters = DashMap.from<string, number>(workerData.counters as SharedArrayBuffer);
  const me = workerData.index as number;
  parentPort!.on('message', (task: Task) => {
    counters.add('total');
    counters.add(`worker:${me}`);
    counters.add(`user:${task.user}`);
    const count = counters.add(`path:${task.path}`);
    const reply: Reply = { id: task.id, status: 200, body: JSON.stringify({ path: task.path, count, worker: me }) };
    parentPort!.postMessage(reply);
  });
}

async function main(): Promise<void> {
  const counters = new DashMap<string, number>();
  const workers = Array.from({ length: WORKERS }, (_, index) =>
    new Worker(__filename, { workerData: { counters: counters.handle, index } }));
  const pending = new Map<number, ServerResponse>();
  for (const w of workers) {
    w.on('message', (reply: Reply) => {
      const res = pending.get(reply.id)!;
      pending.delete(reply.id);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
    w.on('error', (err) => { console.error(err); process.exitCode = 1; });
  }

  let nextId = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/stats') {
      // Read straight from the shared map (weakly consistent while requests run).
      const stats = Object.fromEntries([...counters.entries()].sort());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    const id = nextId++;
    pending.set(id, res);
    const task: Task = { id, path: url.pathname, user: url.searchParams.get('user') ?? 'anonymous' };
    workers[id % WORKERS].postMessage(task);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The client: 400 requests, 50 in flight at a time.
  const sent = new Map<string, number>();
  const returned = new Map<string, number[]>();
  const started = Date.now();
  for (let i = 0; i < REQUESTS; i += PARALLEL) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, REQUESTS - i) }, async (_, j) => {
      const n = i + j;
      const path = PATHS[(n * 7) % PATHS.length];
      const user = USERS[n % USERS.length];
      sent.set(path, (sent.get(path) ?? 0) + 1);
      const res = await fetch(`${base}${path}?user=${user}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { path: string; count: number };
      const list = returned.get(body.path) ?? [];
      list.push(body.count);
      returned.set(body.path, list);
    }));
  }
  const ms = Date.now() - started;
  const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all(workers.map((w) => w.terminate()));

  console.log(`${REQUESTS} requests in ${ms} ms through ${WORKERS} workers; GET /stats:`);
  for (const [k, v] of Object.entries(stats)) console.log(`  ${k.padEnd(20)} ${v}`);

  // Checks: every counter adds up exactly.
  assert.equal(stats.total, REQUESTS);
  const sum = (prefix: string) => Object.entries(stats)
    .filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  assert.equal(sum('path:'), REQUESTS);
  assert.equal(sum('user:'), REQUESTS);
  assert.equal(sum('worker:'), REQUESTS);
  for (let w = 0; w < WORKERS; w++) assert.equal(stats[`worker:${w}`], REQUESTS / WORKERS);
  for (const [path, n] of sent) {
    assert.equal(stats[`path:${path}`], n, path);
    const counts = returned.get(path)!.sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: n }, (_, i) => i + 1), `counts returned for ${path}`);
  }
  console.log('request-counters: OK: totals, per-path, per-user and per-worker counters add up; each path returned counts 1..n');
}
