'use strict';
// Bytes per entry of one map holding n entries, measured in a fresh process
// (started by run.js):  node --expose-gc bench/js/memory_child.js IMPL str|int [n]
//   IMPL: map (a JS Map), dash, lock, lru, lockfree, hopscotch (DashMap,
//   LockMap, LruLockMap with capacity n, LockFreeMap, HopscotchMap; run.js
//   measures map and dash), set (a JS Set), dashset (DashSet)
//   str: 'k' + i -> i        int: i -> i   (small ints); a set holds the keys
// Prints one JSON object on stdout:
//   heapDelta   process.memoryUsage().heapUsed after - before (V8 heap; the JS Map's cost)
//   rssDelta    process.memoryUsage().rss after - before (everything the process touched)
//   nativeBytes map.nativeBytes() for a DashMap, LockFreeMap or HopscotchMap (tables, nodes,
//               keys'/values' heap bytes), else null
// Keys are made inside the fill loop: a JS Map keeps its key strings alive
// (they are part of its cost); a DashMap copies them, so they become garbage.
const path = require('node:path');

if (typeof global.gc !== 'function') {
  console.error('memory_child.js needs node --expose-gc');
  process.exit(2);
}

const impl = process.argv[2];
const keyType = process.argv[3];
const n = Number(process.argv[4] || 1_000_000);

function settle() {
  for (let i = 0; i < 4; i++) global.gc();
}

// Load the addon (and its code) before the baseline.
const threadmap = require(path.resolve(__dirname, '..', '..'));
const { DashMap } = threadmap;
const classes = {
  dash: 'DashMap', lock: 'LockMap', lru: 'LruLockMap', lockfree: 'LockFreeMap', hopscotch: 'HopscotchMap', dashset: 'DashSet',
};
if (impl !== 'map' && impl !== 'set' && !classes[impl]) {
  console.error(`memory_child.js: unknown map ${impl} (map, set, ${Object.keys(classes).join(', ')})`);
  process.exit(2);
}
{
  const warm = new DashMap();
  warm.set('k', 1); warm.set(1, 1); warm.get('k'); warm.nativeBytes();
  const wm = new Map(); wm.set('k', 1);
}
// Grow V8's young generation to its working size before the baseline, so
// that the RSS delta is not the (reused, never returned) nursery filling up
// with the garbage key strings of the fill loop.
{
  let junk = 0;
  for (let i = 0; i < n; i++) junk += ('k' + i).length;
  if (junk < 0) console.log(junk);
}
settle();

const before = process.memoryUsage();
const map = impl === 'map' ? new Map() : impl === 'set' ? new Set()
  : new threadmap[classes[impl]](impl === 'lru' ? { capacity: n } : undefined);
const isSet = impl === 'set' || impl === 'dashset';
if (isSet) {
  for (let i = 0; i < n; i++) map.add(keyType === 'str' ? 'k' + i : i);
} else if (keyType === 'str') {
  for (let i = 0; i < n; i++) map.set('k' + i, i);
} else {
  for (let i = 0; i < n; i++) map.set(i, i);
}
settle();
const after = process.memoryUsage();

const out = {
  impl,
  keys: keyType,
  n,
  size: map.size,
  heapDelta: after.heapUsed - before.heapUsed,
  rssDelta: after.rss - before.rss,
  externalDelta: after.external - before.external,
  nativeBytes: typeof map.nativeBytes === 'function' ? map.nativeBytes() : null,
};
// Keep the map alive until here.
if (map.size !== n) out.error = `size ${map.size} != ${n}`;
process.stdout.write(JSON.stringify(out) + '\n');
