// Maps reached by name: no handle in workerData, no message to carry one.
//
// The maps are module-level constants made with Class.named(name): the main
// thread and every worker evaluate the same lines, and whichever thread runs
// them first makes each map; the others attach to it. Here 4 workers start
// at once (so their first calls race to make the maps), each tallies words
// of its share of a text into a DashMap and records the distinct words it
// saw in a LockFreeMap, then the main thread reads both. The workers also
// file each word under its first letter, in one map per letter whose name
// they build on the fly (`example:letter:t`): a map of maps, by name. A
// thread's repeated named() calls for one name return the same object for
// about 70 ns, so calling it in the loop is fine.
//
// Check: the tallies equal a count made by the main thread alone, also
// letter by letter; the race made one map per name (any map a losing call
// made is gone with its worker: liveMaps() counts only the named ones);
// after dropName the maps live on through the wrappers that reach them.
//
// Run: npm run example -- named-maps
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { DashMap, LockFreeMap, namedMaps, dropName, liveMaps } from 'threadmap';

// Evaluated in every thread; the first call of each name makes the map.
const wordCounts = DashMap.named<string, number>('example:word-counts');
const firstSeenBy = LockFreeMap.named<string, number>('example:first-seen-by');

const WORKERS = 4;
const TEXT = `the quick brown fox jumps over the lazy dog while the cat
sleeps and the dog dreams of the fox that jumps over every fence in the
town where the quick cat and the lazy fox share one warm sunny porch`.repeat(50);

function wordsOf(part: number): string[] {
  const all = TEXT.split(/\s+/).filter(Boolean);
  return all.filter((_, i) => i % WORKERS === part);
}

if (isMainThread) {
  main().catch((err) => {
    console.error('named-maps: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const part = workerData as number;
  for (const word of wordsOf(part)) {
    wordCounts.add(word);
    firstSeenBy.getOrInsert(word, part);
    DashMap.named<string, number>(`example:letter:${word[0]}`).add(word);
  }
  parentPort!.postMessage('done');
}

async function main(): Promise<void> {
  const workers = Array.from({ length: WORKERS }, (_, part) => new Worker(__filename, { workerData: part }));
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', resolve);
  })));

  const expected = new Map<string, number>();
  for (const word of TEXT.split(/\s+/).filter(Boolean)) expected.set(word, (expected.get(word) ?? 0) + 1);
  assert.deepEqual(new Map(wordCounts), expected, 'every word counted once, by one of the workers');
  assert.deepEqual(new Set(firstSeenBy.keys()), new Set(expected.keys()));
  for (const part of firstSeenBy.values()) assert.ok(part >= 0 && part < WORKERS);
  const letters = [...new Set([...expected.keys()].map((w) => w[0]))].sort();
  const letterMaps = letters.map((l) => DashMap.named<string, number>(`example:letter:${l}`));
  letters.forEach((l, i) => {
    const words = [...expected].filter(([w]) => w[0] === l);
    assert.deepEqual(new Map(letterMaps[i]), new Map(words), `the words under ${l}`);
  });
  assert.deepEqual(namedMaps().sort(), ['example:first-seen-by', ...letters.map((l) => `example:letter:${l}`), 'example:word-counts']);

  const top = [...wordCounts].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.log(`${WORKERS} workers, no handles passed: ${wordCounts.size} distinct words, top ${top.map(([w, n]) => `${w} ${n}`).join(', ')}`);
  console.log(`maps named in this process: ${namedMaps().length} (${letters.length} of them one per first letter)`);

  // Dropping the names leaves the maps to their wrappers (the module
  // constants here), as any map.
  assert.equal(dropName('example:word-counts'), true);
  assert.equal(dropName('example:first-seen-by'), true);
  for (const l of letters) assert.equal(dropName(`example:letter:${l}`), true);
  assert.deepEqual(namedMaps(), []);
  assert.equal(liveMaps(), 2 + letterMaps.length, 'still reachable from this module\'s constants and letterMaps');
  console.log('names dropped; the maps live on while a wrapper reaches them');
}
