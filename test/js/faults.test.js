'use strict';
// Faults across threads (issue 5, part 3): a worker that is terminated,
// calls process.exit or throws while inside an update or retain callback,
// or in the middle of a setMany, leaves the map consistent (no half-applied
// single-key operation) and every lock it held released, for every map
// class. Locks held and waits queued by dying workers: lock_workers.test.js.
const { describe, test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, startWorker, terminateAll, LIB } = require('./helpers');

const { DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap } = threadmap;

afterEach(terminateAll);

const classes = [
  ['DashMap', () => new DashMap({ shards: 1 })],
  ['LockMap', () => new LockMap({ shards: 1 })],
  ['LruLockMap', () => new LruLockMap({ capacity: 100, shards: 1 })],
  // No locks: what must hold is that a pinned callback's epoch guard and
  // this thread's callback mark go away with the dying worker.
  ['LockFreeMap', () => new LockFreeMap({ buckets: 1 })],
  ['HopscotchMap', () => new HopscotchMap()],
];

// A worker that attaches to the map and runs `body` (source text) with `m`
// and `signal()` in scope. signal() posts 'inside' to the main thread and
// waits until `inside(w)` there has received it: a worker that throws right
// after posting could otherwise fail `done` before the message arrives.
function run(map, className, body) {
  const ack = new Int32Array(new SharedArrayBuffer(4));
  const w = startWorker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const threadmap = require(${JSON.stringify(LIB)});
    const m = threadmap[${JSON.stringify(className)}].from(workerData.handle);
    const signal = () => {
      parentPort.postMessage('inside');
      Atomics.wait(workerData.ack, 0, 0, 10_000);
    };
    ${body}
  `, { workerData: { handle: map.handle, ack } });
  w.ack = ack;
  return w;
}

// Waits for the worker's signal() and lets it go on.
async function inside(w) {
  await w.next((x) => x === 'inside');
  Atomics.store(w.ack, 0, 1);
  Atomics.notify(w.ack, 0);
}

// How the worker leaves: terminate() from outside, process.exit or a throw
// from inside the callback.
const endings = {
  terminated: { code: 'while (true) {}', viaTerminate: true },
  'process.exit': { code: 'process.exit(7)', viaTerminate: false },
  throws: { code: "throw new Error('worker fault')", viaTerminate: false },
};

for (const [className, make] of classes) {
  describe(`${className}: a worker dying inside a callback`, () => {
    for (const [ending, { code, viaTerminate }] of Object.entries(endings)) {
      test(`inside update(): ${ending}`, async () => {
        const m = make();
        m.set('k', 1).set('other', 2);
        const w = run(m, className, `m.update('k', (v) => { signal(); ${code}; return v + 100; });`);
        w.worker.on('error', () => {});
        await inside(w);
        if (viaTerminate) await w.worker.terminate();
        await w.done.catch(() => {});
        // Same shard (shards: 1): any lock the callback held is free again.
        assert.equal(m.get('k'), 1, 'the update was not applied');
        m.set('other', 3);
        assert.equal(m.update('k', (v) => v + 1), 2);
        if (m.stateCount) assert.equal(m.tryLock('k') !== undefined, true);
      });

      test(`inside retain(): ${ending}`, async () => {
        const m = make();
        for (let i = 0; i < 10; i++) m.set(i, i);
        const w = run(m, className, `let n = 0; m.retain((v) => { if (++n === 5) { signal(); ${code}; } return v % 2 === 0; });`);
        w.worker.on('error', () => {});
        await inside(w);
        if (viaTerminate) await w.worker.terminate();
        await w.done.catch(() => {});
        const left = [...m.keys()].sort((a, b) => a - b);
        for (const k of left) assert.equal(m.get(k), k, 'kept values are untouched');
        assert.ok(left.length >= 6 && left.length <= 10, `only odd keys seen before the fault may be gone (${left})`);
        assert.equal(m.size, left.length);
        m.set(100, 'after');
        assert.equal(m.retain(() => true), 0, 'every shard lock was released');
      });
    }

    for (const [ending, code] of [['process.exit', 'process.exit(5)'], ['throws', "throw new Error('getter fault')"]]) {
      test(`${ending} in the middle of setMany (from a value's getter): nothing stored`, async () => {
        const m = make();
        const w = run(m, className, `
          const bad = { get x() { ${code}; } };
          setImmediate(() => m.setMany([['a', 1], ['b', 2], ['c', bad]]));
        `);
        w.worker.on('error', () => {});
        await w.done.catch(() => {});
        assert.equal(m.size, 0, 'setMany encodes every entry before storing any');
      });
    }

    test('terminated in the middle of setMany (a value whose getter never returns): nothing stored', async () => {
      const m = make();
      const w = run(m, className, `
        const spin = { get x() { signal(); while (true) {} } };
        m.setMany([['a', 1], ['b', 2], ['c', spin]]);
      `);
      await inside(w);
      await w.worker.terminate();
      assert.equal(m.size, 0, 'setMany validates (encodes) every entry before storing any');
      m.setMany([['a', 1]]);
      assert.equal(m.get('a'), 1);
    });
  });
}

test('the main thread can exit with maps alive, workers running and locks held', async () => {
  const { spawnSync } = require('node:child_process');
  const code = `
    const { Worker } = require('node:worker_threads');
    const { DashMap, LockMap } = require(${JSON.stringify(LIB)});
    const d = new DashMap(); const l = new LockMap();
    d.set('x', 1); const held = l.lock('held');
    for (let i = 0; i < 3; i++) {
      new Worker(\`
        const { workerData } = require('node:worker_threads');
        const { DashMap, LockMap } = require(${JSON.stringify(LIB)});
        const d = DashMap.from(workerData.d); const l = LockMap.from(workerData.l);
        l.lockAsync('held');
        setInterval(() => d.add('ticks'), 1);
      \`, { eval: true, workerData: { d: d.handle, l: l.handle } });
    }
    setTimeout(() => process.exit(0), 200);
  `;
  const r = spawnSync(process.execPath, ['-e', code], { timeout: 20_000, encoding: 'utf8' });
  assert.equal(r.signal, null, `no hang and no crash (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
});
