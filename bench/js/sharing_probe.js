'use strict';
// What sharing one DashMap costs two workers, against a private map per
// worker. A measurement, not an assertion. About 10 s.
//   node bench/js/sharing_probe.js [--private] [--get-only] [--shards=8,64,512]
// Prints total ops/s with 1 and 2 workers (median of 3) and their ratio.
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const path = require('node:path');
const { median } = require('./stats');
const { DashMap } = require(path.resolve(__dirname, '..', '..'));

const N = 100_000;

if (isMainThread) {
  const privateMaps = process.argv.includes('--private');
  const getOnly = process.argv.includes('--get-only');
  const shardsArg = process.argv.find((a) => a.startsWith('--shards='));
  const shardCounts = shardsArg ? shardsArg.slice(9).split(',').map(Number) : [8];

  async function run(shards, workers) {
    const m = new DashMap({ shards });
    for (let i = 0; i < N; i++) m.set('key:' + i, i);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const done = [];
    const rates = [];
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(__filename, {
        workerData: { handle: m.handle, flag: flag.buffer, seed: w, privateMaps, getOnly, shards },
      });
      await new Promise((resolve) => worker.once('message', resolve));  // warmed up
      done.push(new Promise((resolve) => worker.once('message', (rate) => { rates.push(rate); resolve(); })));
    }
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await Promise.all(done);
    return rates.reduce((a, b) => a + b, 0);
  }

  (async () => {
    for (const shards of shardCounts) {
      const one = [];
      const two = [];
      for (let rep = 0; rep < 3; rep++) {
        one.push(await run(shards, 1));
        two.push(await run(shards, 2));
      }
      const a = median(one);
      const b = median(two);
      console.log(`${privateMaps ? 'private' : 'shared'} ${getOnly ? 'get-only' : '7 get : 1 set'} shards ${shards}: ` +
        `1 worker ${(a / 1e6).toFixed(2)} M/s, 2 workers ${(b / 1e6).toFixed(2)} M/s, 2/1 ${(b / a).toFixed(2)}x`);
    }
  })();
} else {
  const { handle, flag, seed, privateMaps, getOnly, shards } = workerData;
  let m;
  if (privateMaps) {
    m = new DashMap({ shards });
    for (let i = 0; i < N; i++) m.set('key:' + i, i);
  } else {
    m = DashMap.from(handle);
  }
  const keys = Array.from({ length: N }, (_, i) => 'key:' + i);
  const order = new Int32Array(1 << 16);
  let x = seed * 7919 + 1;
  for (let i = 0; i < order.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    order[i] = x % N;
  }
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += m.get(keys[order[i & 0xffff]]) | 0;
  parentPort.postMessage('ready');
  Atomics.wait(new Int32Array(flag), 0, 0);
  const t0 = performance.now();
  let ops = 0;
  while (performance.now() - t0 < 1000) {
    for (let j = 0; j < 1000; j++, ops++) {
      const k = keys[order[ops & 0xffff]];
      if (getOnly || (ops & 7) !== 0) sink += m.get(k) | 0;
      else m.set(k, ops);
    }
  }
  parentPort.postMessage(ops / ((performance.now() - t0) / 1000) + (sink === -1 ? 1 : 0));
}
