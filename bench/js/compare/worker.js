'use strict';
// One worker of a 2-worker sharing run (started by run.js).
// workerData: { contender, workload, ctl, n, seed, handle?, port?, lmdb?, sab? }
//   contender: a threadmap class name (the map attached by `Class.from(handle)`),
//              'pm' / 'pm-batch' (a Map owned by the main thread, reached by
//              postMessage on `port`: one op per round trip, or BATCH ops per
//              message), 'lmdb-sync' / 'lmdb-async' (lmdb opened in this worker
//              on the `lmdb` options), 'sab' (an Int32Array of counters over `sab`)
//   workload:  'getset' (90% get / 10% set of numbers) or 'add' (counter +1)
// Every worker sets up, bumps READY, waits on GO, loops until STOP, then
// reports { ops, ms }: ops counted only once done (acknowledged, committed).
const { workerData, parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { ROOT, CTL, randomIndices, keyOf } = require('./common');

const { contender, workload, n, seed } = workerData;
const ctl = new Int32Array(workerData.ctl);
const stopped = () => Atomics.load(ctl, CTL.STOP) !== 0;

const keys = Array.from({ length: n }, (_, i) => keyOf(i));
const IDX_BITS = 20;
const MASK = (1 << IDX_BITS) - 1;
const idx = randomIndices(n, seed, 1 << IDX_BITS);
const CHUNK = 1000; // ops between two looks at STOP (sync loops) or two awaits (lmdb-async)
const BATCH = 100; // ops per message for 'pm-batch'
const SET_EVERY = 10; // getset: op c is a set when c % SET_EVERY === 0

// ---------------------------------------------------------------- sync contenders
// Each returns one op as a function of (key index, step): the loop below is
// the same for all of them.
function syncOp() {
  if (contender === 'sab') {
    // Integer keys only: the key is the index itself.
    const counters = new Int32Array(workerData.sab);
    return (i) => Atomics.add(counters, i, 1) + 1;
  }
  if (contender === 'lmdb-sync') {
    const db = require('lmdb').open(workerData.lmdb);
    if (workload === 'add') {
      // LMDB's write transaction is the lock: the read inside it sees the
      // last commit and no other writer can commit in between.
      return (i) => db.transactionSync(() => {
        const v = (db.get(keys[i]) ?? 0) + 1;
        db.putSync(keys[i], v);
        return v;
      });
    }
    return (i, c) => (c % SET_EVERY === 0 ? (db.putSync(keys[i], c), c) : db.get(keys[i]));
  }
  const Class = require(ROOT)[contender];
  if (!Class) throw new Error(`unknown contender ${contender}`);
  const m = Class.from(workerData.handle);
  if (workload === 'add') return (i) => m.add(keys[i], 1);
  return (i, c) => (c % SET_EVERY === 0 ? (m.set(keys[i], c), c) : m.get(keys[i]));
}

function runSync(op) {
  let ops = 0;
  let j = 0;
  let sink = 0;
  while (!stopped()) {
    for (let c = 0; c < CHUNK; c++) {
      const v = op(idx[j], c);
      if (v !== undefined) sink += v;
      j = (j + 1) & MASK;
    }
    ops += CHUNK;
  }
  return [ops, sink];
}

// ---------------------------------------------------------------- async contenders
// A request is a flat array [op, key, value, op, key, value, ...]; the owner
// answers with one result per op. op 0 = get, 1 = set, 2 = add.
function opCode(c) {
  if (workload === 'add') return 2;
  return c % SET_EVERY === 0 ? 1 : 0;
}

async function runPostMessage(perMessage) {
  const { port } = workerData;
  let pending = null;
  port.on('message', (reply) => pending(reply));
  const call = (msg) => new Promise((resolve) => { pending = resolve; port.postMessage(msg); });
  let ops = 0;
  let j = 0;
  let sink = 0;
  let c = 0;
  while (!stopped()) {
    const msg = [];
    for (let b = 0; b < perMessage; b++, c++) {
      msg.push(opCode(c), keys[idx[j]], c);
      j = (j + 1) & MASK;
    }
    const reply = await call(msg);
    for (const v of reply) if (v !== undefined && v !== true) sink += v;
    ops += perMessage;
  }
  port.close();
  return [ops, sink];
}

// lmdb-js's own style: synchronous reads, writes queued and committed in
// batches by its write thread; each CHUNK of ops awaits its last write.
async function runLmdbAsync() {
  const db = require('lmdb').open(workerData.lmdb);
  let ops = 0;
  let j = 0;
  let sink = 0;
  while (!stopped()) {
    let last = null;
    for (let c = 0; c < CHUNK; c++) {
      const k = keys[idx[j]];
      j = (j + 1) & MASK;
      if (workload === 'add') {
        // An async transaction callback runs inside the batch's write
        // transaction, so its read-modify-write is atomic.
        last = db.transaction(() => db.put(k, (db.get(k) ?? 0) + 1));
      } else if (c % SET_EVERY === 0) {
        last = db.put(k, c);
      } else {
        const v = db.get(k);
        if (v !== undefined) sink += v;
      }
    }
    if (last) await last;
    ops += CHUNK;
  }
  return [ops, sink];
}

// ---------------------------------------------------------------- main
(async () => {
  let run;
  if (contender === 'pm') run = () => runPostMessage(1);
  else if (contender === 'pm-batch') run = () => runPostMessage(BATCH);
  else if (contender === 'lmdb-async') run = runLmdbAsync;
  else {
    const op = syncOp();
    run = () => runSync(op);
  }
  Atomics.add(ctl, CTL.READY, 1);
  Atomics.notify(ctl, CTL.READY);
  Atomics.wait(ctl, CTL.GO, 0);
  const t0 = performance.now();
  const [ops, sink] = await run();
  const t1 = performance.now();
  parentPort.postMessage({ ops, ms: t1 - t0, sink: sink & 1 });
})(); // a rejection ends the worker with an 'error' event
