// Named maps: X.named<K, V>(name, options?), namedMaps(), dropName(name).
import { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, namedMaps, dropName } from 'threadmap';

const hits = DashMap.named<string, number>('hits', { shards: 8 });
const n: number = hits.add('page');
const sessions: LockMap<string, { user: string }> = LockMap.named('sessions');
const cache = LruLockMap.named<string, Buffer>('cache', { capacity: 1000, ttl: 60_000 });
const attached = LruLockMap.named<string, Buffer>('cache');
const lf: LockFreeMap<bigint, string> = LockFreeMap.named('lf', { capacity: 64 });
const hs: HopscotchMap<number, boolean> = HopscotchMap.named('hs');
const names: string[] = namedMaps();
const dropped: boolean = dropName('hits');
void [n, sessions, cache, attached, lf, hs, names, dropped];

// @ts-expect-error the name is a string
DashMap.named(1);
// @ts-expect-error another class's options
DashMap.named('x', { capacity: 10, timeout: 5 });
// @ts-expect-error an object key
DashMap.named<{ id: number }, number>('x');
// @ts-expect-error a value of the wrong type
DashMap.named<string, number>('hits').set('a', 'one');
// @ts-expect-error entries are not taken
LockMap.named('x', [['a', 1]]);
// @ts-expect-error dropName takes a name
dropName();
