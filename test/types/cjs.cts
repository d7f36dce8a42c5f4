// Type tests from a CommonJS consumer written as `import x = require()`,
// the TypeScript spelling of `const { DashMap } = require('threadmap')`.
import threadmap = require('threadmap');
import { expectType } from './helpers';

const { DashMap, liveMaps, codes } = threadmap;
const map = new DashMap<number, bigint>();
expectType<bigint>()(map.add(1, 5n));
expectType<bigint | undefined>()(map.get(1));
expectType<number>()(liveMaps());
expectType<'ERR_INVALID_HANDLE'>()(codes.ERR_INVALID_HANDLE);
const attached: InstanceType<typeof DashMap<number, bigint>> = DashMap.from(map.handle);
expectType<boolean>()(attached.compareAndSet(1, 5n, 6n));

// @ts-expect-error bigint counter, number delta
map.add(1, 1);
// @ts-expect-error string key where K = number
map.get('1');
