// Type tests for DashMap, from a CommonJS consumer (this package has no
// "type": "module", so a .ts file here compiles as CommonJS).
// Every `// @ts-expect-error` line is misuse that must stay a compile error.
import { DashMap, liveMaps, codes } from 'threadmap';
import type { Key, DashMapOptions, ThreadmapError, ErrorCode } from 'threadmap';
import { expectType } from './helpers';

// ---- construction ----------------------------------------------------------
const any = new DashMap();
expectType<DashMap<Key, unknown>>()(any);
const counters = new DashMap<string, number>();
const big = new DashMap<string, bigint>({ capacity: 1024 });
const mixed = new DashMap<string, number | bigint>({ shards: 16 });
const names = new DashMap<number, string>({ capacity: 0, shards: 1 });
const bytes = new DashMap<Uint8Array, { hits: number; tags: string[] }>();
const opts: DashMapOptions = {};
new DashMap<boolean, null>(opts);
new DashMap<bigint, Date>(undefined);

// @ts-expect-error an object is not a key type
new DashMap<{ id: number }, number>();
// @ts-expect-error a symbol is not a key type
new DashMap<symbol, number>();
// @ts-expect-error shards is a number
new DashMap({ shards: '4' });
// @ts-expect-error capacity is a number, not a bigint
new DashMap({ capacity: 10n });
// @ts-expect-error unknown option
new DashMap({ ttl: 1000 });
// @ts-expect-error options is an object
new DashMap(16);

// ---- handles ---------------------------------------------------------------
const handle: SharedArrayBuffer = counters.handle;
const attached = DashMap.from<string, number>(handle);
expectType<DashMap<string, number>>()(attached);
expectType<DashMap<Key, unknown>>()(DashMap.from(handle));
// @ts-expect-error the handle is read-only
counters.handle = new SharedArrayBuffer(16);
// @ts-expect-error a handle is a SharedArrayBuffer, not an ArrayBuffer
DashMap.from(new ArrayBuffer(16));
// @ts-expect-error nor its bytes
DashMap.from(new Uint8Array(counters.handle));
// @ts-expect-error from() keys must be keys
DashMap.from<object, number>(handle);

// ---- Map-like core ---------------------------------------------------------
expectType<number>()(counters.size);
expectType<number>()(counters.shardCount);
// @ts-expect-error size is read-only
counters.size = 3;
expectType<DashMap<string, number>>()(counters.set('a', 1).set('b', 2));
expectType<number | undefined>()(counters.get('a'));
expectType<boolean>()(counters.has('a'));
expectType<boolean>()(counters.delete('a'));
expectType<void>()(counters.clear());
names.set(1, 'one').set(-0, 'zero').set(NaN, 'nan');
bytes.set(new Uint8Array([1, 2]), { hits: 1, tags: [] });
bytes.set(Buffer.from('key'), { hits: 2, tags: ['x'] });
any.set('k', { anything: [1, 2, 3] }).set(1n, new Map()).set(true, null).set(new Uint8Array(1), undefined);

// @ts-expect-error an object key
counters.set({}, 1);
// @ts-expect-error an object key on the widest map too
any.set({ id: 1 }, 1);
// @ts-expect-error an array key
any.get([1, 2]);
// @ts-expect-error a symbol key
any.has(Symbol('k'));
// @ts-expect-error null is not a key
any.delete(null);
// @ts-expect-error a number key where K = string
counters.get(1);
// @ts-expect-error a wrong value type in set
counters.set('a', 'one');
// @ts-expect-error a function value where V = number
counters.set('a', () => 1);
// @ts-expect-error a wrong value shape
bytes.set(new Uint8Array(1), { hits: '1', tags: [] });
// @ts-expect-error set takes a value
counters.set('a');

// ---- batches ---------------------------------------------------------------
expectType<(number | undefined)[]>()(counters.getMany(['a', 'b']));
expectType<(number | undefined)[]>()(counters.getMany(new Set(['a'])));
expectType<DashMap<string, number>>()(counters.setMany([['a', 1], ['b', 2]]));
counters.setMany(new Map([['c', 3]]));
counters.setMany(Object.entries({ d: 4 }));
const frozen: ReadonlyArray<readonly [string, number]> = [['e', 5]];
counters.setMany(frozen);
expectType<number>()(counters.deleteMany(['a', 'b']));
expectType<number>()(counters.deleteMany(counters.keys()));
// @ts-expect-error getMany takes an iterable of keys, not one key
counters.getMany('a', 'b');
// @ts-expect-error a wrong value type in setMany
counters.setMany([['a', 'one']]);
// @ts-expect-error setMany takes pairs
counters.setMany(['a', 1]);
// @ts-expect-error deleteMany keys are keys
counters.deleteMany([{}]);

// ---- atomic single-key operations -----------------------------------------
expectType<number>()(counters.add('hits'));
expectType<number>()(counters.add('hits', -2.5));
expectType<number>()(attached.add('hits', 1));
expectType<bigint>()(big.add('bytes', 1n << 40n));
expectType<number | bigint>()(mixed.add('n'));
expectType<number | bigint>()(mixed.add('n', 1n));
// @ts-expect-error add on a DashMap<string, string>
new DashMap<string, string>().add('a');
// @ts-expect-error add on a map whose values are not known to be numbers
any.add('a', 1);
// @ts-expect-error a bigint counter needs a bigint delta
big.add('bytes');
// @ts-expect-error no number delta on a bigint counter
big.add('bytes', 1);
// @ts-expect-error no bigint delta on a number counter
counters.add('hits', 1n);
// @ts-expect-error the delta is a number, not a string
counters.add('hits', '1');

expectType<number>()(counters.getOrInsert('x', 0));
expectType<boolean>()(counters.compareAndSet('x', undefined, 1));
expectType<boolean>()(counters.compareAndSet('x', 1, 2));
expectType<number | undefined>()(counters.take('x'));
expectType<number | undefined>()(counters.update('x', (old) => (old ?? 0) + 1));
expectType<number | undefined>()(counters.update('x', () => undefined));
counters.update('x', (old) => {
  expectType<number | undefined>()(old);
  return old;
});
expectType<number>()(counters.retain((value, key) => {
  expectType<number>()(value);
  expectType<string>()(key);
  return value > 0;
}));
counters.retain((value) => value); // a truthy result keeps the entry
// @ts-expect-error getOrInsert value must be a V
counters.getOrInsert('x', 'zero');
// @ts-expect-error compareAndSet expected must be a V or undefined
counters.compareAndSet('x', '1', 2);
// @ts-expect-error compareAndSet new value must be a V
counters.compareAndSet('x', 1, null);
// @ts-expect-error update must return a V or undefined
counters.update('x', (old) => String(old));
// @ts-expect-error update takes a function
counters.update('x', 5);
// @ts-expect-error the retain callback gets (value, key): key is a string here
counters.retain((value: number, key: number) => key > value);

// ---- iteration -------------------------------------------------------------
for (const [key, value] of counters) {
  expectType<string>()(key);
  expectType<number>()(value);
}
for (const key of bytes.keys()) expectType<Uint8Array>()(key); // a Buffer at run time
for (const value of bytes.values()) expectType<{ hits: number; tags: string[] }>()(value);
for (const entry of names.entries()) expectType<[number, string]>()(entry);
expectType<[string, number][]>()([...counters]);
expectType<Map<string, number>>()(new Map(counters));
const iterable: Iterable<[string, number]> = counters;
counters.forEach(function (this: { total: number }, value, key, map) {
  expectType<number>()(value);
  expectType<string>()(key);
  expectType<DashMap<string, number>>()(map);
  this.total += value;
}, { total: 0 });
// @ts-expect-error forEach callback values are numbers here
counters.forEach((value: string) => value);
// @ts-expect-error entries are not arrays; spread or Array.from them
counters.entries().length;

// ---- diagnostics -----------------------------------------------------------
expectType<number[]>()(counters.shardSizes());
expectType<number>()(counters.nativeBytes());
expectType<number>()(liveMaps());
expectType<string>()(Object.prototype.toString.call(counters));

// ---- errors ----------------------------------------------------------------
expectType<'ERR_WOULD_DEADLOCK'>()(codes.ERR_WOULD_DEADLOCK);
expectType<'ERR_INVALID_HANDLE'>()(codes.ERR_INVALID_HANDLE);
expectType<
  'ERR_WOULD_DEADLOCK' | 'ERR_LOCK_TIMEOUT' | 'ERR_ABORTED' | 'ERR_INVALID_HANDLE' | 'ERR_ENTRY_RELEASED' | 'ERR_CACHE_FULL'
>()(null as unknown as ErrorCode);
// @ts-expect-error codes is read-only
codes.ERR_ABORTED = 'ERR_ABORTED';
// @ts-expect-error no such code
codes.ERR_NOPE;

function isThreadmapError(err: unknown): err is ThreadmapError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
try {
  DashMap.from(new SharedArrayBuffer(16));
} catch (err) {
  if (isThreadmapError(err)) {
    expectType<ErrorCode>()(err.code);
    if (err.code === codes.ERR_INVALID_HANDLE) err.message.toUpperCase();
    // @ts-expect-error not a threadmap code
    if (err.code === 'ERR_SOMETHING_ELSE') throw err;
  }
}

// ---- what does not exist yet is not typed ----------------------------------
// @ts-expect-error LockFreeMapCore is an interface, not a value
import('threadmap').then((m) => m.LockFreeMapCore);
// @ts-expect-error no lock APIs on DashMap
counters.lock('a');

export { iterable };
