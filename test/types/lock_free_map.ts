// Type tests for LockFreeMap and HopscotchMap (CommonJS consumer).
// Every `// @ts-expect-error` line is misuse that must stay a compile error.
import { LockFreeMap, HopscotchMap, DashMap } from 'threadmap';
import type { LockFreeMapOptions, HopscotchMapOptions, LockFreeMapCore } from 'threadmap';
import { expectType } from './helpers';

const counters = new LockFreeMap<string, number>({ capacity: 1000 });
const fixed = new LockFreeMap<number, bigint>({ buckets: 1024 });
const hop = new HopscotchMap<string, { name: string }>({ capacity: 10 });
const lfOpts: LockFreeMapOptions = { buckets: 64 };
const hsOpts: HopscotchMapOptions = {};
new LockFreeMap(lfOpts);
new HopscotchMap(hsOpts);
new LockFreeMap();
new HopscotchMap();

// @ts-expect-error buckets is a LockFreeMap option
new HopscotchMap({ buckets: 4 });
// @ts-expect-error no shards on the lock-free maps
new LockFreeMap({ shards: 4 });
// @ts-expect-error capacity is a number
new LockFreeMap({ capacity: '8' });
// @ts-expect-error an object is not a key type
new HopscotchMap<{ id: number }, number>();

// ---- the Map-like core ---------------------------------------------------------
expectType<number | undefined>()(counters.get('a'));
expectType<LockFreeMap<string, number>>()(counters.set('a', 1));
expectType<boolean>()(counters.has('a'));
expectType<boolean>()(counters.delete('a'));
expectType<number>()(counters.size);
expectType<number>()(counters.shardCount);
expectType<number>()(counters.bucketCount());
expectType<(number | undefined)[]>()(counters.getMany(['a', 'b']));
expectType<LockFreeMap<string, number>>()(counters.setMany([['a', 1], ['b', 2]]));
expectType<number>()(counters.deleteMany(new Set(['a'])));
expectType<SharedArrayBuffer>()(hop.handle);
for (const [k, v] of hop) {
  expectType<string>()(k);
  expectType<string>()(v.name);
}
hop.forEach((v, k, m) => {
  expectType<{ name: string }>()(v);
  expectType<HopscotchMap<string, { name: string }>>()(m);
});
const core: LockFreeMapCore<string, number> = counters;
expectType<number | undefined>()(core.get('x'));

// @ts-expect-error the value type is number
counters.set('a', 'one');
// @ts-expect-error the key type is string
counters.get(1);
// @ts-expect-error size is read-only
counters.size = 3;
// @ts-expect-error no lock APIs on the lock-free maps
counters.lock('a');
// @ts-expect-error no shardSizes (one "shard")
hop.shardSizes();

// ---- atomic operations ---------------------------------------------------------
expectType<number>()(counters.add('hits'));
expectType<number>()(counters.add('hits', 5));
expectType<bigint>()(fixed.add(1, 5n));
expectType<number>()(counters.getOrInsert('a', 0));
expectType<boolean>()(counters.compareAndSet('a', undefined, 1));
expectType<number | undefined>()(counters.take('a'));
expectType<number | undefined>()(counters.update('a', (old) => (old ?? 0) + 1));
expectType<number>()(hop.retain((v, k) => v.name === k));
const mixed = new HopscotchMap<string, number | bigint>();
expectType<number | bigint>()(mixed.add('n', 1n));

// @ts-expect-error bigint counter, number delta
fixed.add(1, 1);
// @ts-expect-error add needs numeric values
hop.add('a');
// @ts-expect-error update's fn returns the value type
counters.update('a', () => 'x');
// @ts-expect-error retain needs a function
hop.retain(true);

// ---- handles ---------------------------------------------------------------------
expectType<LockFreeMap<string, number>>()(LockFreeMap.from<string, number>(counters.handle));
expectType<HopscotchMap<string, { name: string }>>()(HopscotchMap.from<string, { name: string }>(hop.handle));
expectType<LockFreeMap>()(LockFreeMap.from(new SharedArrayBuffer(8)));
// @ts-expect-error from takes a SharedArrayBuffer
LockFreeMap.from(counters);
// @ts-expect-error a LockFreeMap is not a DashMap
const wrong: DashMap<string, number> = counters;

export { wrong };
