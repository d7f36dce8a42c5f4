// The lock-free maps: a routing table that is read on every request while
// it is being changed, and a fast-growing set of claimed order IDs.
//
// - `routes`, a LockFreeMap<string, string>: service name -> backend. Three
//   request workers look a route up for every request; meanwhile a fourth
//   worker moves every service from the old backend pool to the new one
//   with update(). Reads never wait and never take a lock: a reader sees the
//   old route or the new one, never a missing one (a value is replaced by
//   swapping in a new copy, not by removing and re-adding). The migration's
//   update callbacks run with no lock held and may run more than once under
//   contention, so they are pure functions of the old value.
// - `served`, a LockFreeMap<string, number>: requests per service, counted
//   with add() (a compare-and-swap loop: no increment is lost).
// - `claims`, a HopscotchMap<number, number>: order ID -> the worker that
//   processed it. It starts with room for 16 entries and grows to thousands
//   while the workers insert; readers never stop for a resize. Each worker
//   claims an order with getOrInsert(id, me): the first caller's value
//   stays, so an order delivered to several workers is processed once.
//
// Check: every lookup found a route; after the migration every route points
// to the new pool; the request counts add up to the requests made; every
// order was claimed exactly once, by a worker that saw it.
//
// Run: npm run example -- lock-free
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { HopscotchMap, LockFreeMap } from 'threadmap';

const SERVICES = 200;
const REQUESTS_PER_WORKER = 20_000;
const ORDERS = 3_000;
const REQUEST_WORKERS = 3;

interface Shared {
  role: 'requests' | 'migrate';
  id: number;
  routes: SharedArrayBuffer;
  served: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  migrated: SharedArrayBuffer; // an Int32 flag: 1 once the migration is done
}

interface Report {
  id: number;
  requests: number;
  missing: number;
  sawNewPool: number;
  claimed: number[]; // order IDs this worker won
  offered: number[]; // order IDs delivered to this worker
}

const service = (i: number) => `svc-${i}`;
const oldBackend = (i: number) => `10.0.0.${i % 250}:8080`;
const newBackend = (i: number) => `10.1.0.${i % 250}:9090`;

function requests(w: Shared): Report {
  const routes = LockFreeMap.from<string, string>(w.routes);
  const served = LockFreeMap.from<string, number>(w.served);
  const claims = HopscotchMap.from<number, number>(w.claims);
  const report: Report = { id: w.id, requests: 0, missing: 0, sawNewPool: 0, claimed: [], offered: [] };
  const won = new Set<number>();
  const migrated = new Int32Array(w.migrated);
  const pick = (n: number) => Math.floor(Math.random() * n);
  // At least REQUESTS_PER_WORKER requests, and on until the migration is
  // over, so that lookups run while routes change.
  for (let r = 0; r < REQUESTS_PER_WORKER || Atomics.load(migrated, 0) === 0; r++) {
    const name = service(pick(SERVICES));
    const backend = routes.get(name); // never blocks, never a lock
    if (backend === undefined) report.missing++;
    else if (backend.startsWith('10.1.')) report.sawNewPool++;
    served.add(name);
    report.requests++;
    // Every third request carries an order; each order reaches 1-3 workers.
    if (r % 3 === 0) {
      const order = pick(ORDERS);
      report.offered.push(order);
      if (claims.getOrInsert(order, w.id) === w.id) won.add(order);
    }
  }
  report.claimed = [...won];
  return report;
}

function migrate(w: Shared): Report {
  const routes = LockFreeMap.from<string, string>(w.routes);
  for (let i = 0; i < SERVICES; i++) {
    // Pure: may run again if another writer changed the route meanwhile.
    routes.update(service(i), (old) => (old === oldBackend(i) ? newBackend(i) : old));
  }
  Atomics.store(new Int32Array(w.migrated), 0, 1);
  return { id: w.id, requests: 0, missing: 0, sawNewPool: 0, claimed: [], offered: [] };
}

async function main(): Promise<void> {
  const routes = new LockFreeMap<string, string>({ capacity: SERVICES });
  const served = new LockFreeMap<string, number>();
  const claims = new HopscotchMap<number, number>(); // 16 buckets to start
  for (let i = 0; i < SERVICES; i++) routes.set(service(i), oldBackend(i));
  const migrated = new SharedArrayBuffer(4);

  const start = (role: Shared['role'], id: number) =>
    new Promise<Report>((resolve, reject) => {
      const data: Shared = { role, id, routes: routes.handle, served: served.handle, claims: claims.handle, migrated };
      const worker = new Worker(__filename, { workerData: data });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const reports = await Promise.all([
    ...Array.from({ length: REQUEST_WORKERS }, (_, i) => start('requests', i + 1)),
    start('migrate', 0),
  ]);
  const workers = reports.filter((r) => r.id !== 0);

  console.log('worker  requests  saw new pool  orders offered  orders won');
  for (const r of workers) {
    console.log(`${String(r.id).padStart(6)}  ${String(r.requests).padStart(8)}  ${String(r.sawNewPool).padStart(12)}  ${String(r.offered.length).padStart(14)}  ${String(r.claimed.length).padStart(10)}`);
  }
  const requestsMade = workers.reduce((n, r) => n + r.requests, 0);
  const countedRequests = [...served.values()].reduce((n, v) => n + v, 0);
  console.log(`routes: ${routes.size}, every one now on the new pool; requests counted: ${countedRequests}; orders claimed: ${claims.size}`);

  assert.equal(workers.reduce((n, r) => n + r.missing, 0), 0, 'a lookup found no route during the migration');
  for (let i = 0; i < SERVICES; i++) assert.equal(routes.get(service(i)), newBackend(i));
  assert.equal(countedRequests, requestsMade, 'request counts lost an increment');
  const offered = new Set(workers.flatMap((r) => r.offered));
  assert.equal(claims.size, offered.size, 'every offered order is claimed once');
  const won = workers.flatMap((r) => r.claimed);
  assert.equal(won.length, new Set(won).size, 'an order was won twice');
  assert.equal(won.length, offered.size, 'an order was won by nobody');
  for (const r of workers) {
    for (const order of r.claimed) assert.equal(claims.get(order), r.id);
  }
  console.log('ok: no missing route, no lost increment, each order processed once');
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const w = workerData as Shared;
  parentPort!.postMessage(w.role === 'migrate' ? migrate(w) : requests(w));
}
