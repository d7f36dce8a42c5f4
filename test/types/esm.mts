// Type tests from an ES module consumer: named imports and the default
// import (lib/index.mjs exports the same names plus a default object).
import { DashMap, LockFreeMap, HopscotchMap, liveMaps, codes } from 'threadmap';
import threadmap from 'threadmap';
import * as ns from 'threadmap';
import type { Key, ThreadmapError } from 'threadmap';
import { expectType } from './helpers.js';

const map = new DashMap<string, number>({ shards: 4 });
expectType<number>()(map.add('a'));
expectType<DashMap<string, number>>()(threadmap.DashMap.from<string, number>(map.handle));
expectType<typeof DashMap>()(ns.DashMap);
expectType<typeof DashMap>()(threadmap.DashMap);
expectType<number>()(threadmap.liveMaps());
expectType<number>()(liveMaps());
expectType<'ERR_WOULD_DEADLOCK'>()(threadmap.codes.ERR_WOULD_DEADLOCK);
expectType<'ERR_WOULD_DEADLOCK'>()(codes.ERR_WOULD_DEADLOCK);
const key: Key = new Uint8Array(4);
const err = null as unknown as ThreadmapError;
expectType<string>()(err.message);

// @ts-expect-error a wrong value type
map.set('a', 'b');
expectType<typeof LockFreeMap>()(threadmap.LockFreeMap);
expectType<typeof HopscotchMap>()(ns.HopscotchMap);
// @ts-expect-error no such class
threadmap.CuckooMap;

export { key };
