'use strict';
// Named maps: Class.named(name, options?) gives the map `name` holds in this
// process, made by the first call in any thread; threadmap.dropName(name)
// frees the name; threadmap.namedMaps() lists the names. This file runs in a
// process of its own, so liveMaps() counts only its maps.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, LIB, startWorker, terminateAll, gcUntil, gcHard } = require('./helpers');

const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, liveMaps, namedMaps, dropName } = threadmap;
const CLASSES = [
  ['DashMap', DashMap, undefined],
  ['LockMap', LockMap, undefined],
  ['LruLockMap', LruLockMap, { capacity: 100 }],
  ['LockFreeMap', LockFreeMap, undefined],
  ['HopscotchMap', HopscotchMap, undefined],
];

afterEach(async () => {
  await terminateAll();
  for (const name of namedMaps()) dropName(name);
});

for (const [label, Class, options] of CLASSES) {
  test(`${label}.named: every call with one name gives the same map, the first call's`, () => {
    assert.deepEqual(namedMaps(), []);
    const a = Class.named('shared', options);
    assert.ok(a instanceof Class);
    a.set('k', 1);
    const b = Class.named('shared', options);
    assert.equal(a, b, 'the same object while the name is unchanged');
    assert.equal(b.get('k'), 1);
    b.set('k', 2);
    assert.equal(a.get('k'), 2);
    assert.deepEqual(namedMaps(), ['shared']);
    // Another name is another map.
    const c = Class.named('other', options);
    assert.equal(c.has('k'), false);
    assert.deepEqual(namedMaps().sort(), ['other', 'shared']);
  });
}

test('named: a name holding one class is a TypeError for another, and the map is unchanged', async () => {
  const m = DashMap.named('counters');
  m.set('n', 7);
  for (const [label, Class, options] of CLASSES.slice(1)) {
    assert.throws(() => Class.named('counters', options), (e) => e instanceof TypeError &&
      e.message.includes('"counters" holds a DashMap, not a ' + label));
  }
  assert.deepEqual([...DashMap.named('counters')], [['n', 7]]);
  assert.deepEqual(namedMaps(), ['counters']);
  // Every refused call found the name taken before making a map.
  assert.ok(await gcUntil(() => liveMaps() === 1, 3000), `only the named map is left: ${liveMaps()}`);
});

test('named: options are the creating call\'s; a later call attaches without options or with the same ones', () => {
  const first = LruLockMap.named('cache', { capacity: 3 });
  assert.equal(first.capacity, 3);
  for (let i = 0; i < 10; i++) first.set(i, i);
  assert.equal(first.size, 3);
  // Attaching needs no options, even for a class whose constructor requires some.
  assert.equal(LruLockMap.named('cache').size, 3);
  // The same options, in any order, undefined ones left out, attach too.
  assert.equal(LruLockMap.named('cache', { ttl: undefined, capacity: 3 }).capacity, 3);
  // Other options are refused: they could not change the map.
  assert.throws(() => LruLockMap.named('cache', { capacity: 1000 }), (e) => e instanceof TypeError &&
    e.message.includes('"cache" was made with options { capacity: 3 }, and this call gives { capacity: 1000 }'));
  assert.throws(() => LruLockMap.named('cache', { capacity: '3' }), TypeError, 'a string is not the number');
  DashMap.named('plain');
  assert.throws(() => DashMap.named('plain', { shards: 4 }), /was made with options \{\}, and this call gives \{ shards: 4 \}/);
  assert.equal(DashMap.named('plain', {}).size, 0);
  // An option given at its documented default is the same map as one left out.
  assert.equal(DashMap.named('plain', { capacity: 0, maxKeyBytes: 65536, maxValueBytes: 64 * 1024 * 1024 }).size, 0);
  assert.throws(() => DashMap.named('plain', { capacity: 1 }), /was made with options \{\}, and this call gives \{ capacity: 1 \}/);
  LockMap.named('locks', { timeout: Infinity });
  assert.equal(LockMap.named('locks', {}).size, 0);
  assert.throws(() => LockMap.named('locks', { timeout: 5 }), TypeError);
  dropName('locks');
  // The creating call checks them as the constructor does.
  assert.throws(() => LruLockMap.named('fresh'), /capacity is required/);
  assert.throws(() => DashMap.named('fresh', { shards: 3 }), RangeError);
  assert.deepEqual(namedMaps().sort(), ['cache', 'plain']);
});

test('named: bad names and options are TypeErrors and name nothing', () => {
  for (const name of [undefined, null, 1, 1n, true, Symbol('s'), {}, ['a'], Buffer.from('a')]) {
    assert.throws(() => DashMap.named(name), TypeError);
  }
  assert.throws(() => DashMap.named(''), /must not be empty/);
  for (const options of [null, 5, 'shards', [['a', 1]], new Map([['shards', 4]]), new Set()]) {
    assert.throws(() => DashMap.named('x', options), TypeError);
  }
  assert.throws(() => DashMap.named('x', { nonsense: 1 }), /unknown option "nonsense"/);
  for (const name of [undefined, 1, {}, Symbol('s')]) assert.throws(() => dropName(name), TypeError);
  assert.deepEqual(namedMaps(), []);
});

test('named: names are compared by UTF-16 code units', () => {
  const names = ['a', 'a\0', 'a\0b', '\ud800', '\udc00', '\ud800\udc00', 'é', 'e\u0301', 'A'];
  names.forEach((n, i) => DashMap.named(n).set('i', i));
  names.forEach((n, i) => assert.equal(DashMap.named(n).get('i'), i, JSON.stringify(n)));
  assert.deepEqual(namedMaps().sort(), [...names].sort());
});

test('named: the name keeps its map alive without any wrapper; dropName lets it go', async () => {
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `maps left over from an earlier test: ${liveMaps()}`);
  (() => { DashMap.named('kept').set('v', 'still here'); })();
  await gcHard(8);
  assert.equal(liveMaps(), 1, 'the name holds the map');
  let again = DashMap.named('kept');
  assert.equal(again.get('v'), 'still here');
  assert.equal(dropName('kept'), true);
  assert.equal(dropName('kept'), false, 'already dropped');
  assert.deepEqual(namedMaps(), []);
  // The wrapper still works; the name now makes a new, empty map.
  assert.equal(again.get('v'), 'still here');
  const fresh = DashMap.named('kept');
  assert.equal(fresh.size, 0);
  assert.equal(liveMaps(), 2);
  again = null;
  assert.ok(await gcUntil(() => liveMaps() === 1, 3000), `the dropped map is freed once unreachable: ${liveMaps()}`);
  assert.equal(fresh.size, 0);
});

test('named: a thread gets the same object back while the name is unchanged, and never a dropped map', async () => {
  const first = DashMap.named('cached');
  first.set('v', 1);
  assert.equal(DashMap.named('cached'), first, 'the same wrapper, not a new one per call');
  assert.equal(DashMap.named('cached', {}), first);
  // What the registry checks still holds on a repeated call.
  assert.throws(() => DashMap.named('cached', { capacity: 5 }), /was made with options \{\}/);
  assert.throws(() => LockMap.named('cached'), /holds a DashMap, not a LockMap/);
  // Another name made or dropped anywhere: looked up again, the same map.
  DashMap.named('other-name');
  dropName('other-name');
  assert.equal(DashMap.named('cached').get('v'), 1);
  // Dropped and made again in another thread: this thread gets the new map.
  const { done } = startWorker(`
    const { DashMap, dropName } = require(${JSON.stringify(LIB)});
    dropName('cached');
    DashMap.named('cached').set('v', 2);
  `);
  assert.equal((await done).code, 0);
  const now = DashMap.named('cached');
  assert.notEqual(now, first);
  assert.equal(now.get('v'), 2, 'the map the worker made, not the dropped one');
  assert.equal(first.get('v'), 1, 'the old wrapper still reaches the dropped map');
  // Dropped and made again in this thread.
  dropName('cached');
  assert.equal(DashMap.named('cached').size, 0);
  dropName('cached');
});

test('named: dropping the name that holds the last reference frees the map at once', async () => {
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `maps left over from an earlier test: ${liveMaps()}`);
  (() => { LockFreeMap.named('only-the-name').set('a', 1); })();
  await gcHard(8);  // every wrapper and handle collected: only the name holds the map
  assert.equal(liveMaps(), 1);
  // The store is released after the registry's mutex is unlocked (its
  // deleter takes that mutex): released under it, this call would hang.
  assert.equal(dropName('only-the-name'), true);
  assert.equal(liveMaps(), 0, 'freed inside dropName, with no gc');
});

test('named: workers reach one map by name, without a handle, however their first calls race', async () => {
  // Nobody makes the map before the workers: their first calls race to.
  const N = 4;
  const ADDS = 20000;
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { DashMap, LockMap } = require(${JSON.stringify(LIB)});
    const counters = DashMap.named('race-counters');
    const locks = LockMap.named('race-locks');
    for (let i = 0; i < ${ADDS}; i++) {
      counters.add('n');
      if (i % 1000 === 0) locks.withLock('w', (e) => { e.value = (e.value ?? 0) + 1; });
    }
    parentPort.postMessage('done');
  `;
  const workers = Array.from({ length: N }, () => startWorker(code));
  const results = await Promise.all(workers.map((w) => w.done));
  for (const r of results) assert.equal(r.code, 0);
  assert.deepEqual(namedMaps().sort(), ['race-counters', 'race-locks']);
  assert.equal(DashMap.named('race-counters').get('n'), N * ADDS);
  assert.equal(LockMap.named('race-locks').get('w'), N * (ADDS / 1000));
  // The losers of the race made maps of their own; each is freed.
  assert.ok(await gcUntil(() => liveMaps() === 2, 3000), `only the two named maps stay: ${liveMaps()}`);
});

test('named: of two maps made for one name, the first named wins and the other is freed', async () => {
  // The step a racing call takes after making its map (lib/map_core.js),
  // made directly: nameMap(name, handle) names the map unless the name is
  // taken, and returns the map the name holds.
  const { native } = require('../../lib/native');
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `maps left over from an earlier test: ${liveMaps()}`);
  let first = new DashMap([['who', 'first']]);
  let second = new DashMap([['who', 'second']]);
  const [kind1, handle1, options1, generation1, named1] = native.nameMap('race', first.handle, '{}');
  assert.equal(generation1, native.namesGeneration(), 'the name table as of the answer: changed by this call');
  assert.deepEqual([kind1, options1, named1], ['DashMap', '{}', true]);
  assert.equal(DashMap.from(handle1).get('who'), 'first');
  const [kind2, handle2, options2, generation2, named2] = native.nameMap('race', second.handle, '{ shards: 4 }');
  assert.deepEqual([kind2, options2, named2], ['DashMap', '{}', false], 'the first map, with its options');
  assert.equal(generation2, generation1, 'a call that named nothing changed nothing');
  assert.equal(DashMap.from(handle2).get('who'), 'first', 'the name still holds the first map');
  assert.throws(() => native.nameMap('race', new SharedArrayBuffer(16), '{}'), { code: 'ERR_INVALID_HANDLE' });
  first = null;
  second = null;
  assert.ok(await gcUntil(() => liveMaps() === 1, 3000), `the unnamed map is freed, the named one kept: ${liveMaps()}`);
  assert.equal(DashMap.named('race').get('who'), 'first');
});

test('named: the ES module exports namedMaps and dropName', async () => {
  const esm = await import('../../lib/index.mjs');
  assert.equal(esm.namedMaps, namedMaps);
  assert.equal(esm.dropName, dropName);
  esm.DashMap.named('esm').set('a', 1);
  assert.equal(DashMap.named('esm').get('a'), 1);
});

test('named: a map named in a worker outlives the worker', async () => {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { HopscotchMap } = require(${JSON.stringify(LIB)});
    HopscotchMap.named('from-worker').set('who', 'worker');
    parentPort.postMessage('done');
  `;
  const { done } = startWorker(code);
  assert.equal((await done).code, 0);
  await gcHard(8);
  assert.equal(HopscotchMap.named('from-worker').get('who'), 'worker');
});
