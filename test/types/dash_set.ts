// DashSet<T>: the Set API over the DashMap engine.
import { DashSet, DashMap, Key } from 'threadmap';

const ids = new DashSet<string>();
const chained: DashSet<string> = ids.add('a').add('b');
const claimed: boolean = ids.insert('c');
const present: boolean = ids.has('a');
const removed: boolean = ids.delete('b');
const gone: number = ids.deleteMany(['a', 'x']);
const dropped: number = ids.retain((v: string) => v.startsWith('a'));
for (const v of ids) { const s: string = v; void s; }
for (const [a, b] of ids.entries()) { const s: string = a + b; void s; }
ids.forEach((v, v2, set) => { const t: DashSet<string> = set; void [v.length, v2.length, t]; });
const copied = new DashSet([1, 2, 3], { shards: 4, capacity: 100 });
const fromSet: DashSet<bigint> = new DashSet(new Set([1n, 2n]));
const bytes = new DashSet<Uint8Array>([Buffer.from('x')]);
const attached: DashSet<string> = DashSet.from(ids.handle);
const named: DashSet<number> = DashSet.named('seen', { maxKeyBytes: 64 });
const any: DashSet<Key> = new DashSet();
const n: number = ids.size + ids.shardCount + ids.nativeBytes() + ids.shardSizes().length;
void [chained, claimed, present, removed, gone, dropped, copied, fromSet, bytes, attached, named, any, n];

// The Set methods: any set-like argument; plain Sets back.
const u: Set<string | number> = ids.union(new Set([1, 2]));
const i: Set<string> = ids.intersection(new Map([['a', 1]]));
const d: Set<string> = ids.difference(new DashSet(['a']));
const x: Set<string | bigint> = ids.symmetricDifference({ size: 1, has: (v: bigint) => v === 1n, keys: () => [1n][Symbol.iterator]() });
const flags: boolean[] = [ids.isSubsetOf(new Set()), ids.isSupersetOf(new Set(['a'])), ids.isDisjointFrom(new DashSet([1]))];
void [u, i, d, x, flags];
// @ts-expect-error a string is a single member, not a list of them (TypeError at run time)
new DashSet<string>('abc');
// @ts-expect-error an array is not set-like (no has, no size)
ids.union(['a']);
// @ts-expect-error the result is a local Set, not a DashSet
const shared: DashSet<string> = ids.union(new Set(['b']));
void shared;

// @ts-expect-error an object cannot be a member
new DashSet<{ id: number }>();
// @ts-expect-error a member of the wrong type
ids.add(1);
// @ts-expect-error a set holds no values: no maxValueBytes
new DashSet({ maxValueBytes: 10 });
// @ts-expect-error a set is not a map: no get
ids.get('a');
// @ts-expect-error a DashSet is not a DashMap
const notMap: DashMap<string, true> = ids;
// @ts-expect-error retain's callback takes the value only
ids.retain((v: string, k: string) => v === k);
void notMap;
