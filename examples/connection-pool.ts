// A connection-pool registry shared by worker threads, on a LockMap.
//
// The registry maps a database name to its connection's description. A
// LockMap has an exclusive lock per key, present or not, so:
// - getOrCreate(name) holds the name's lock (withLock: an async wait that
//   never blocks the event loop) while it connects, and the slow connect runs
//   once per name across all workers; the others wait and get its result;
// - checkout(name, fn) holds the lock while `fn` uses the connection, so one
//   worker at a time uses it (the lock is the pool's "in use" flag);
// - removeStale(maxAge) drops old connections with retain().
// Connection ids come from an atomic counter (DashMap.add), as the seed's
// AtomicU64 does.
//
// Check: 4 workers each ask for 5 databases 3 times and run 10 checkouts:
// every database was connected exactly once, every worker saw the same id
// for it, and no checkout ever overlapped another on the same connection.
//
// Run: npm run example -- connection-pool
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { DashMap, LockMap } from 'threadmap';

interface Connection { id: number; name: string; created: number; openedBy: number; uses: number }

class ConnectionPool {
  constructor(
    readonly connections: LockMap<string, Connection>,
    readonly counters: DashMap<string, number>, // next id, connects per name, users per name
  ) {}

  static create(): ConnectionPool {
    return new ConnectionPool(new LockMap<string, Connection>({ timeout: 5_000 }), new DashMap<string, number>());
  }

  get handles() {
    return { connections: this.connections.handle, counters: this.counters.handle };
  }

  static from(h: { connections: SharedArrayBuffer; counters: SharedArrayBuffer }): ConnectionPool {
    return new ConnectionPool(LockMap.from(h.connections), DashMap.from(h.counters));
  }

  get(name: string): Connection | undefined {
    return this.connections.get(name); // never waits for a held lock
  }

  getOrCreate(name: string, worker: number): Promise<Connection> {
    return this.connections.withLock(name, async (entry) => {
      if (entry.value !== undefined) return entry.value;
      await sleep(30); // the slow part: a real pool would open a socket here
      this.counters.add(`connects:${name}`);
      const conn: Connection = { id: this.counters.add('next_id'), name, created: Date.now(), openedBy: worker, uses: 0 };
      entry.value = conn;
      return conn;
    }, { timeout: 5_000 });
  }

  /** Exclusive use of `name`'s connection while `fn` runs. */
  checkout<R>(name: string, fn: (conn: Connection) => Promise<R>): Promise<R> {
    return this.connections.withLock(name, async (entry) => {
      const conn = entry.value;
      if (conn === undefined) throw new Error(`no connection ${name}`);
      const users = this.counters.add(`users:${name}`);
      this.counters.update(`max_users:${name}`, (m) => Math.max(m ?? 0, users));
      try {
        const result = await fn(conn);
        entry.value = { ...conn, uses: conn.uses + 1 };
        return result;
      } finally {
        this.counters.add(`users:${name}`, -1);
      }
    }, { timeout: 5_000 });
  }

  removeStale(maxAgeMs: number): number {
    const now = Date.now();
    return this.connections.retain((conn) => now - conn.created <= maxAgeMs);
  }

  list(): [string, number][] {
    return [...this.connections.entries()].map(([k, c]): [string, number] => [k, c.id]).sort();
  }
}

const WORKERS = 4;
const DATABASES = ['db1', 'db2', 'db3', 'db4', 'db5'];
const CHECKOUTS = 10; // per worker

if (isMainThread) {
  main().catch((err) => {
    console.error('connection-pool: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  work().then((ids) => parentPort!.postMessage(ids));
}

async function work(): Promise<Record<string, number>> {
  const me = workerData.index as number;
  const pool = ConnectionPool.from(workerData.pool);
  const ids: Record<string, number> = {};
  for (let round = 0; round < 3; round++) {
    const conns = await Promise.all(DATABASES.map((name) => pool.getOrCreate(name, me)));
    for (const c of conns) {
      if (ids[c.name] !== undefined && ids[c.name] !== c.id) throw new Error(`${c.name} changed id`);
      ids[c.name] = c.id;
    }
  }
  // Use the connections: each checkout holds the connection for a moment.
  await Promise.all(Array.from({ length: CHECKOUTS }, (_, i) =>
    pool.checkout(DATABASES[(i + me) % DATABASES.length], async () => { await sleep(2); })));
  return ids;
}

async function main(): Promise<void> {
  const pool = ConnectionPool.create();
  const seen = await Promise.all(Array.from({ length: WORKERS }, (_, index) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const w = new Worker(__filename, { workerData: { index, pool: pool.handles } });
      w.once('message', resolve);
      w.once('error', reject);
    })));

  console.log(`connections: ${JSON.stringify(pool.list())}`);
  for (const name of DATABASES) {
    const conn = pool.get(name)!;
    const connects = pool.counters.get(`connects:${name}`);
    const maxUsers = pool.counters.get(`max_users:${name}`);
    console.log(`  ${name}: id ${conn.id}, opened by worker ${conn.openedBy}, connected ${connects}x, ${conn.uses} checkouts, at most ${maxUsers} user(s) at once`);
    assert.equal(connects, 1, `${name} connected once`);
    assert.equal(maxUsers, 1, `${name} used by one worker at a time`);
    for (const ids of seen) assert.equal(ids[name], conn.id, `every worker saw ${name}'s id`);
  }
  const uses = DATABASES.reduce((a, n) => a + pool.get(n)!.uses, 0);
  assert.equal(uses, WORKERS * CHECKOUTS);
  assert.equal(pool.counters.get('next_id'), DATABASES.length);

  // Stale connections: db1 and db2 are old, the rest are fresh.
  for (const name of ['db1', 'db2']) pool.connections.update(name, (c) => c && { ...c, created: c.created - 60_000 });
  const removed = pool.removeStale(30_000);
  console.log(`removeStale(30 s) removed ${removed}; left ${JSON.stringify(pool.list())}`);
  assert.equal(removed, 2);
  assert.deepEqual(pool.list().map(([n]) => n), ['db3', 'db4', 'db5']);
  console.log('connection-pool: OK: one connect per database across all workers, exclusive checkouts');
}
