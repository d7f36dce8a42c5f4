// A session store with a TTL, shared by worker threads.
//
// The sessions live in an LruLockMap with `ttl`: a session that nobody
// touches for `ttl` ms expires (it is never returned again), every store
// (create, touch, data change) starts its lifetime anew, `capacity` bounds the
// store (the least recently used session goes first), and set(k, v, { ttl })
// gives one session a lifetime of its own ("remember me"). Changes are made
// with update(), which holds the session's key lock while its callback runs,
// so concurrent changes to one session from several workers never lose one.
//
// Check: 4 workers serve 150 requests each over 20 sessions, each request
// adding a visit and a path to its session: every session's visit count
// equals the requests sent for it. Logged-out sessions are gone, idle ones
// expire after the TTL while a "remember me" one stays, and the store never
// holds more than its capacity.
//
// Run: npm run example -- session-store
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { LruLockMap } from 'threadmap';

interface Session {
  userId: number;
  username: string;
  createdAt: number; // Date.now() values: every thread shares that clock
  lastActivity: number;
  data: { visits: number; lastPath?: string; theme?: string };
}

class SessionStore {
  constructor(readonly sessions: LruLockMap<string, Session>) {}

  static create(capacity: number, ttlMs: number): SessionStore {
    return new SessionStore(new LruLockMap<string, Session>({ capacity, ttl: ttlMs }));
  }

  createSession(userId: number, username: string, options?: { ttl?: number; theme?: string }): string {
    const id = randomUUID();
    const now = Date.now();
    const data: Session['data'] = { visits: 0, ...(options?.theme && { theme: options.theme }) };
    this.sessions.set(id, { userId, username, createdAt: now, lastActivity: now, data },
      options?.ttl === undefined ? undefined : { ttl: options.ttl });
    return id;
  }

  getSession(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** One request on the session: count a visit, remember the path. False if the session is gone. */
  recordVisit(id: string, path: string): boolean {
    const updated = this.sessions.update(id, (s) =>
      s && { ...s, lastActivity: Date.now(), data: { ...s.data, visits: s.data.visits + 1, lastPath: path } });
    return updated !== undefined;
  }

  setSessionData(id: string, data: Partial<Session['data']>): boolean {
    return this.sessions.update(id, (s) => s && { ...s, lastActivity: Date.now(), data: { ...s.data, ...data } }) !== undefined;
  }

  destroySession(id: string): boolean {
    return this.sessions.delete(id);
  }
}

const WORKERS = 4;
const SESSIONS = 20;
const REQUESTS = 150; // per worker
const TTL_MS = 1000;
const PATHS = ['/', '/cart', '/checkout', '/account'];

interface Start { sessions: SharedArrayBuffer; ids: string[] }

if (isMainThread) {
  main().catch((err) => {
    console.error('session-store: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const me = workerData as number;
  parentPort!.once('message', ({ sessions, ids }: Start) => {
    const store = new SessionStore(LruLockMap.from<string, Session>(sessions));
    const sent = new Array<number>(ids.length).fill(0);
    for (let i = 0; i < REQUESTS; i++) {
      const s = (i * 7 + me * 3) % ids.length;
      if (store.recordVisit(ids[s], PATHS[i % PATHS.length])) sent[s]++;
    }
    parentPort!.postMessage(sent);
  });
  parentPort!.postMessage('ready');
}

async function main(): Promise<void> {
  const store = SessionStore.create(100, TTL_MS);

  // Start the workers first, so that their start-up does not eat the TTL.
  const workers = Array.from({ length: WORKERS }, (_, i) => new Worker(__filename, { workerData: i }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));

  const ids = Array.from({ length: SESSIONS }, (_, i) => store.createSession(i, `user_${i}`));
  // "Remember me": a lifetime of its own. Note that a store through update()
  // or an Entry gives the value the map's default ttl again, so this session
  // is left untouched here (a real store would re-set it with { ttl }).
  const alice = store.createSession(42, 'alice', { ttl: 60_000, theme: 'dark' });
  console.log(`created ${SESSIONS} sessions (ttl ${TTL_MS} ms) and alice's (ttl 60 s): ${store.getSession(alice)!.username}, theme ${store.getSession(alice)!.data.theme}`);

  const start: Start = { sessions: store.sessions.handle, ids };
  const tallies = await Promise.all(workers.map((w) => new Promise<number[]>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.postMessage(start);
  })));
  await Promise.all(workers.map((w) => w.terminate()));

  let total = 0;
  for (let s = 0; s < SESSIONS; s++) {
    const expected = tallies.reduce((a, t) => a + t[s], 0);
    const session = store.getSession(ids[s])!;
    assert.equal(session.data.visits, expected, `visits of session ${s}`);
    total += expected;
  }
  assert.equal(total, WORKERS * REQUESTS);
  const first = store.getSession(ids[0])!;
  console.log(`${WORKERS} workers served ${total} requests; session 0: ${first.data.visits} visits, last path ${first.data.lastPath}`);

  store.setSessionData(ids[5], { theme: 'light' });
  assert.equal(store.getSession(ids[5])!.data.theme, 'light');

  // Log out five users.
  for (const id of ids.slice(0, 5)) assert.ok(store.destroySession(id));
  assert.equal(store.getSession(ids[0]), undefined);

  // Let the others idle past the TTL: they expire, alice's does not.
  await sleep(TTL_MS + 100);
  const alive = ids.filter((id) => store.getSession(id) !== undefined).length;
  const stats = store.sessions.stats();
  console.log(`after ${TTL_MS + 100} ms idle: ${alive} of ${SESSIONS} sessions alive, alice's alive: ${store.getSession(alice) !== undefined}; stats ${JSON.stringify(stats)}`);
  assert.equal(alive, 0);
  assert.equal(store.getSession(alice)!.username, 'alice');
  assert.ok(stats.expirations >= SESSIONS - 5, 'expirations counted');

  // The capacity bound: 250 more sessions in a store of 100.
  for (let i = 0; i < 250; i++) store.createSession(1000 + i, `bulk_${i}`);
  const after = store.sessions.stats();
  console.log(`after 250 more sessions: size ${store.sessions.size} (capacity ${store.sessions.capacity}), evictions ${after.evictions}`);
  assert.ok(store.sessions.size <= store.sessions.capacity);
  assert.ok(after.evictions >= 150);
  console.log('session-store: OK: visits add up across workers; logout, TTL expiry and the capacity bound hold');
}
