// Type tests for LockMap, LruLockMap, Entry and BatchEntry (CommonJS consumer).
// Every `// @ts-expect-error` line is misuse that must stay a compile error.
import { LockMap, LruLockMap, Entry, BatchEntry, heldLocks, codes } from 'threadmap';
import type { LockMapOptions, LruLockMapOptions, LruStats, AsyncLockOptions } from 'threadmap';
import { expectType } from './helpers';

const accounts = new LockMap<string, number>({ timeout: 1000 });
const opts: LockMapOptions = { shards: 4, capacity: 10 };
new LockMap(opts);
const cache = new LruLockMap<string, { name: string }>({ capacity: 100, ttl: 60_000 });
const lruOpts: LruLockMapOptions = { capacity: 5 };
new LruLockMap(lruOpts);

// @ts-expect-error an LruLockMap needs a capacity
new LruLockMap({});
// @ts-expect-error ttl is an LruLockMap option
new LockMap({ ttl: 5 });
// @ts-expect-error timeout is a number
new LockMap({ timeout: '5s' });
// @ts-expect-error an object is not a key type
new LockMap<{ id: number }, number>();

// ---- entries ----------------------------------------------------------------
const e = accounts.lock('alice', { timeout: 50 });
expectType<Entry<string, number>>()(e);
expectType<string>()(e.key);
expectType<number | undefined>()(e.value);
e.value = (e.value ?? 0) + 1;
expectType<boolean>()(e.exists);
expectType<boolean>()(e.delete());
e.release();
e[Symbol.dispose]();
// @ts-expect-error the value type is number
e.value = 'x';
// @ts-expect-error key is read-only
e.key = 'bob';
// @ts-expect-error entries come from lock methods
new Entry();

const maybe = accounts.tryLock('bob');
expectType<Entry<string, number> | undefined>()(maybe);
// @ts-expect-error tryLock may return undefined
maybe.release();

async function asyncUse(signal: AbortSignal) {
  const a = await accounts.lockAsync('alice', { timeout: 100, signal });
  expectType<Entry<string, number>>()(a);
  a.release();
  const batch = await accounts.batchLockAsync(['alice', 'bob']);
  expectType<BatchEntry<string, number>>()(batch);
  batch.set('alice', (batch.get('alice') ?? 0) - 5).set('bob', (batch.get('bob') ?? 0) + 5);
  batch.release();
  const total = await accounts.withLock(['alice', 'bob'], (b) => (b.get('alice') ?? 0) + (b.get('bob') ?? 0));
  expectType<number>()(total);
  const one = await accounts.withLock('alice', async (entry) => entry.exists);
  expectType<boolean>()(one);
  const pair = ['alice', 'bob'] as const;
  expectType<number | undefined>()(await accounts.withLock(pair, (b) => b.get('alice')));
  const some: string | readonly string[] = Math.random() < 0.5 ? 'alice' : pair;
  expectType<boolean>()(await accounts.withLock(some, (held) => held.released));
  // @ts-expect-error the keys of a batch are the map's key type
  await accounts.withLock([1, 2] as const, () => 0);
  const o: AsyncLockOptions = { signal };
  await accounts.lockAsync('x', o);
  // @ts-expect-error signal must be an AbortSignal
  await accounts.lockAsync('x', { signal: 'stop' });
  // @ts-expect-error a batch takes keys of the map's key type
  await accounts.batchLockAsync([1, 2]);

  const user = await cache.getOrCompute('u1', async (key) => ({ name: key.toUpperCase() }));
  expectType<{ name: string }>()(user);
  // @ts-expect-error fn must produce the value type
  await cache.getOrCompute('u2', () => 42);
}
void asyncUse;

// ---- Map-like core and LRU extras -------------------------------------------
accounts.set('carol', 10);
expectType<number>()(accounts.add('carol', 5));
// @ts-expect-error a number map takes number deltas
accounts.add('carol', 5n);
cache.set('u', { name: 'U' }, { ttl: 1000 });
expectType<{ name: string } | undefined>()(cache.peek('u'));
expectType<LruStats>()(cache.stats());
expectType<number>()(cache.capacity);
expectType<{ held: number; waiting: number }>()(heldLocks());
expectType<'ERR_CACHE_FULL'>()(codes.ERR_CACHE_FULL);
expectType<LruLockMap<string, number>>()(LruLockMap.from<string, number>(cache.handle));
