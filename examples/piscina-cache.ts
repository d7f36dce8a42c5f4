// A shared cache used from a piscina pool.
//
// A piscina pool of 4 threads renders 200 "pages". Each page needs its
// user's profile, and loading a profile is slow (40 ms). The profiles go
// through one LruLockMap that every pool thread attaches to with
// LruLockMap.from(handle) (the handles travel once, in the pool's workerData):
// getOrCompute loads a profile once for the whole pool, however many threads
// ask for it at once, and the pool threads keep no cache of their own.
//
// This file is both the main program and the pool's task module (its default
// export); piscina loads it in each pool thread through require(), with the
// TypeScript hook the thread inherits from the main one.
//
// Check: all 200 pages are rendered correctly, the profile loader ran exactly
// once per user (20 users, counted in a shared DashMap), and more than one
// pool thread did the work.
//
// Run: npm run example -- piscina-cache
import { isMainThread, threadId } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import Piscina from 'piscina';
import { DashMap, LruLockMap } from 'threadmap';

interface Profile { id: number; name: string; plan: 'free' | 'pro' }
interface Shared { profiles: SharedArrayBuffer; loads: SharedArrayBuffer }
interface Page { user: number; html: string; thread: number }

const USERS = 20;
const PAGES = 200;
const THREADS = 4;

async function loadProfile(id: number, loads: DashMap<string, number>): Promise<Profile> {
  loads.add(`user:${id}`);
  await sleep(40); // a database or a remote service
  return { id, name: `user_${id}`, plan: id % 3 === 0 ? 'pro' : 'free' };
}

// In a pool thread: attach once to the maps named in the pool's workerData.
let maps: { profiles: LruLockMap<number, Profile>; loads: DashMap<string, number> } | undefined;
function attach() {
  if (maps === undefined) {
    const shared = Piscina.workerData as Shared;
    maps = { profiles: LruLockMap.from(shared.profiles), loads: DashMap.from(shared.loads) };
  }
  return maps;
}

/** The pool's task: render one page. */
export default async function renderPage({ page }: { page: number }): Promise<Page> {
  const { profiles, loads } = attach();
  const user = (page * 7) % USERS;
  const profile = await profiles.getOrCompute(user, (id) => loadProfile(id, loads));
  return { user, html: `<h1>page ${page} for ${profile.name} (${profile.plan})</h1>`, thread: threadId };
}

async function main(): Promise<void> {
  const profiles = new LruLockMap<number, Profile>({ capacity: 1000, ttl: 60_000 });
  const loads = new DashMap<string, number>();
  const shared: Shared = { profiles: profiles.handle, loads: loads.handle };
  const pool = new Piscina({ filename: __filename, workerData: shared, minThreads: THREADS, maxThreads: THREADS });

  const started = Date.now();
  const pages: Page[] = await Promise.all(Array.from({ length: PAGES }, (_, page) => pool.run({ page })));
  const ms = Date.now() - started;
  await pool.destroy();

  const threads = new Set(pages.map((p) => p.thread));
  const loadCounts = [...loads.values()];
  console.log(`${PAGES} pages in ${ms} ms on ${threads.size} pool threads; ${pages[0].html}`);
  console.log(`profile loads: ${loadCounts.reduce((a, b) => a + b, 0)} for ${USERS} users; cache stats ${JSON.stringify(profiles.stats())}`);
  pages.forEach((p, page) => {
    const user = (page * 7) % USERS;
    assert.equal(p.user, user);
    assert.equal(p.html, `<h1>page ${page} for user_${user} (${user % 3 === 0 ? 'pro' : 'free'})</h1>`);
  });
  assert.equal(loads.size, USERS);
  for (let u = 0; u < USERS; u++) assert.equal(loads.get(`user:${u}`), 1, `user ${u} loaded once`);
  assert.ok(threads.size > 1, 'more than one pool thread worked');
  console.log('piscina-cache: OK: each profile loaded once for the whole pool');
}

if (isMainThread) {
  main().catch((err) => {
    console.error('piscina-cache: FAILED:', err);
    process.exitCode = 1;
  });
}
