// Arguments: constructors take (options?) or, as new Map(entries), (entries, options?); lists of keys are not strings.
import { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap } from 'threadmap';

const pairs: [string, number][] = [['a', 1], ['b', 2]];
const fromArray = new DashMap(pairs);
const inferred: DashMap<string, number> = fromArray;
inferred.set('c', 3);
new DashMap<string, number>([['a', 1]]).set('other', 2);
new DashMap(Object.entries({ a: 1, b: 2 })).set('c', 3);
// With inline literals and no type arguments, K is inferred from them (as
// for any generic with a primitive constraint): name the types to widen.
// @ts-expect-error 'zzz' is not 'a'
new DashMap([['a', 1]]).set('zzz', 4);

const source = new Map<number, { name: string }>([[1, { name: 'one' }]]);
const lm = new LockMap(source, { timeout: 100 });
const lmTyped: LockMap<number, { name: string }> = lm;
const lru = new LruLockMap<string, bigint>([['x', 1n]], { capacity: 10, ttl: 1000 });
const lf = new LockFreeMap(new DashMap<string, boolean>(), { buckets: 16 });
const lfTyped: LockFreeMap<string, boolean> = lf;
const hs = new HopscotchMap<number, string>([[1, 'one']]);
void [lmTyped, lru, lfTyped, hs];

// @ts-expect-error a value of the wrong type
new DashMap<string, number>([['a', 'one']]);
// @ts-expect-error an object key
new DashMap([[{ id: 1 }, 1]]);
// @ts-expect-error LruLockMap needs its options (capacity) after entries too
new LruLockMap<string, number>([['a', 1]]);
// @ts-expect-error two option objects
new DashMap({ capacity: 1 }, { shards: 2 });
// @ts-expect-error options of another class
new HopscotchMap([[1, 2]], { buckets: 4 });

// A string is one key, not a list of keys.
const strings = new DashMap<string, number>();
strings.getMany(['a', 'b']);
strings.getMany(new Set(['a']));
strings.deleteMany(strings.keys());
// @ts-expect-error a string where a list of keys goes
strings.getMany('ab');
// @ts-expect-error a string where a list of keys goes
strings.deleteMany('ab');
const locks = new LockMap<string, number>();
// @ts-expect-error a string where a list of keys goes
locks.batchLock('ab');
locks.batchLock(['a', 'b']).release();

// getOrInsertComputed(key, fn): fn gets the key and returns a value.
const cache = new DashMap<string, { len: number }>();
const computed: { len: number } = cache.getOrInsertComputed('abc', (k) => ({ len: k.length }));
new LockMap<number, string>().getOrInsertComputed(1, (k) => String(k));
new HopscotchMap<string, number>().getOrInsertComputed('a', (k) => k.length);
void computed;
// @ts-expect-error fn returns the wrong type
cache.getOrInsertComputed('abc', () => 5);
// @ts-expect-error a value, not a function
cache.getOrInsertComputed('abc', { len: 1 });
