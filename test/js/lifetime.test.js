'use strict';
// Handles and lifetime (DESIGN.md): a native map lives while any wrapper or
// handle in any thread (or a handle in flight) can reach it, and is freed
// when the last one goes. threadmap.liveMaps() counts native maps not yet
// freed in the whole process. This file runs in its own process, so the
// baseline is exact; every test first waits for it.
const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, startRpc, terminateAll, gcUntil, gcHard } = require('./helpers');

const { DashMap, liveMaps } = threadmap;

let baseline = 0;
beforeEach(async () => {
  // Whatever an earlier test left must be collectable.
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `maps left over from an earlier test: ${liveMaps()}`);
  baseline = liveMaps();
});
afterEach(terminateAll);

async function expectReleased(what) {
  const ok = await gcUntil(() => liveMaps() === baseline, 3000);
  assert.ok(ok, `${what}: liveMaps() is ${liveMaps()}, expected the baseline ${baseline}`);
}

// Creates a map with some data in a scope of its own; returns only the handle.
function makeHandle(entries = 100) {
  const m = new DashMap();
  for (let i = 0; i < entries; i++) m.set(`k${i}`, { i, text: 'x'.repeat(50) });
  return m.handle;
}

test('a map nobody references is freed by gc', async () => {
  (() => {
    const m = new DashMap();
    m.set('a', 1);
    void m.handle;
    DashMap.from(m.handle).set('b', 2);
  })();
  assert.equal(liveMaps(), baseline + 1);
  await expectReleased('a dropped map');
});

test('a wrapper made by from() keeps the map alive after the creator is collected', async () => {
  let alias = (() => {
    const m = new DashMap();
    m.set('v', 'kept');
    return DashMap.from(m.handle);
  })();
  await gcHard(8);
  assert.equal(liveMaps(), baseline + 1);
  assert.equal(alias.get('v'), 'kept');
  alias = null;
  await expectReleased('the last wrapper dropped');
});

test('a bare handle keeps the map alive; attaching from it after gc works', async () => {
  let handle = makeHandle(10);
  await gcHard(8);
  assert.equal(liveMaps(), baseline + 1, 'the handle alone keeps the map');
  assert.deepStrictEqual(DashMap.from(handle).get('k3'), { i: 3, text: 'x'.repeat(50) });
  handle = null;
  await expectReleased('the handle dropped');
});

test('many maps created and dropped do not leak', async () => {
  // (In a function of its own: an async function's suspended frame may keep
  // the loop's last `m` alive.)
  (() => {
    for (let round = 0; round < 200; round++) {
      const m = new DashMap({ shards: 2 });
      m.set(round, { round });
      DashMap.from(m.handle).get(round);
    }
  })();
  assert.ok(liveMaps() <= baseline + 200);
  await expectReleased('200 dropped maps');
});

test('a map shared with two workers is freed once every thread has dropped it', async () => {
  let handle = makeHandle();
  const a = startRpc({ attach: { m: handle } }); // via workerData
  const b = startRpc();
  await Promise.all([a.ready, b.ready]);
  await b.request('attach', { name: 'm', handle }); // via postMessage
  await a.call('m', 'set', 'fromA', 1);
  await b.call('m', 'set', 'fromB', 2);

  // Main lets go: the workers still hold the map.
  handle = null;
  await gcHard(8);
  assert.equal(liveMaps(), baseline + 1, 'the workers keep it alive');
  assert.equal(await a.call('m', 'get', 'fromB'), 2);
  assert.deepStrictEqual(await b.call('m', 'get', 'k99'), { i: 99, text: 'x'.repeat(50) });

  // Worker a drops its wrapper and collects: b still holds it.
  assert.equal(await a.request('drop', { name: 'm' }), true);
  await a.request('gc', { rounds: 6 });
  await gcHard(4);
  assert.equal(liveMaps(), baseline + 1, 'worker b keeps it alive');
  assert.equal(await b.request('size', { name: 'm' }), 102);

  // b drops too; both exit.
  await b.request('drop', { name: 'm' });
  await b.request('gc', { rounds: 6 });
  await Promise.all([a.request('close'), b.request('close')]);
  await Promise.all([a.done, b.done]);
  await expectReleased('every thread dropped the map');
});

test('a worker that attaches and exits without dropping its reference does not keep the map alive', async () => {
  let handle = makeHandle();
  const w = startRpc({ attach: { m: handle } });
  await w.ready;
  assert.equal(await w.call('m', 'get', 'k1').then((v) => v.i), 1);
  await w.call('m', 'set', 'w', 'wrote'); // also creates its fast-path state
  await w.request('keepHandle', { handle }); // and a second, bare handle
  await w.request('exit'); // process.exit() in the worker: no drop, no gc
  const { code } = await w.done;
  assert.equal(code, 0);
  handle = null;
  await expectReleased('after the worker exited without dropping');
});

test('a terminated worker holding the map does not keep it alive', async () => {
  let handle = makeHandle();
  const w = startRpc({ attach: { m: handle } });
  await w.ready;
  await w.call('m', 'set', 'w', 1);
  await w.worker.terminate();
  handle = null;
  await expectReleased('after terminate()');
});

test('a map created by a worker that exits without posting its handle is freed', async () => {
  const w = startRpc();
  await w.ready;
  await w.request('create', { name: 'own' });
  await w.call('own', 'set', 'x', 1);
  assert.equal(liveMaps(), baseline + 1);
  await w.request('exit');
  await w.done;
  await expectReleased('the worker\'s own map');
});

test('a map created in a worker and handed to main lives until main drops it', async () => {
  const w = startRpc();
  await w.ready;
  let m = DashMap.from(await w.request('create', { name: 'own' }));
  await w.call('own', 'set', 'x', 'from worker');
  await w.request('exit');
  await w.done;
  await gcHard(6);
  assert.equal(liveMaps(), baseline + 1);
  assert.equal(m.get('x'), 'from worker');
  m = null;
  await expectReleased('main dropped the worker\'s map');
});

test('a handle in flight (posted, not yet received) keeps the map alive', async () => {
  const hold = new Int32Array(new SharedArrayBuffer(8));
  const w = startRpc({ holdUntil: hold });
  // Wait until the worker is blocked, so it cannot receive what we post.
  for (let i = 0; i < 2000 && Atomics.load(hold, 1) === 0; i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(Atomics.load(hold, 1), 1, 'the worker blocked');
  const attached = (() => {
    const m = new DashMap();
    m.set('payload', 'survived the trip');
    return w.request('attach', { name: 'm', handle: m.handle });
  })();
  // Nothing in this thread references the map any more; only the message does.
  await gcHard(10);
  assert.equal(liveMaps(), baseline + 1, 'the posted handle keeps the map');
  Atomics.store(hold, 0, 1);
  Atomics.notify(hold, 0);
  await w.ready;
  await attached;
  assert.equal(await w.call('m', 'get', 'payload'), 'survived the trip');
  await w.request('drop', { name: 'm' });
  await w.request('close');
  await w.done;
  await expectReleased('after the receiver dropped it');
});
