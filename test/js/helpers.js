'use strict';
// Shared helpers for the node:test suite (not a test file: node --test only
// picks up *.test.js here).
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const LIB = path.join(__dirname, '..', '..', 'lib', 'index.js');
const threadmap = require(LIB);

// A total order on the key kinds a map accepts, so that two iterations can be
// compared as sorted lists whatever the map's own order.
function keyTag(k) {
  if (typeof k === 'number') return `n:${Object.is(k, -0) ? '-0' : String(k)}`;
  if (typeof k === 'string') {
    // Code units, so lone surrogates and '\0' stay distinct and visible.
    let s = 's:';
    for (let i = 0; i < k.length; i++) s += k.charCodeAt(i).toString(16).padStart(4, '0');
    return s;
  }
  if (typeof k === 'bigint') return `b:${k.toString()}`;
  if (typeof k === 'boolean') return `t:${k}`;
  if (k instanceof Uint8Array) return `u:${Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex')}`;
  return `?:${typeof k}`;
}

function compareTags(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedEntries(iterable) {
  return [...iterable].sort((a, b) => compareTags(keyTag(a[0]), keyTag(b[0])));
}

function sortedKeys(iterable) {
  return [...iterable].sort((a, b) => compareTags(keyTag(a), keyTag(b)));
}

// Everything a map holds, as a sorted list of [key, value] (for "unchanged" checks).
function snapshot(map) {
  return { size: map.size, entries: sortedEntries(map.entries()) };
}

// A small seeded generator (mulberry32): rng(seed)() is in [0, 1), and a
// failing random test replays from its seed.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function requireGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run the suite with node --expose-gc');
  return globalThis.gc;
}

// Runs gc() with event-loop turns in between (finalizers and the
// SharedArrayBuffer sweeper need them) until pred() holds or timeoutMs passes.
// Returns whether pred() held.
async function gcUntil(pred, timeoutMs = 2000) {
  const gc = requireGc();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    gc();
    await tick();
    if (pred()) return true;
    if (Date.now() > deadline) return pred();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// gc() a few times regardless (to give a wrongly-freed map a chance to go).
async function gcHard(rounds = 6) {
  const gc = requireGc();
  for (let i = 0; i < rounds; i++) {
    gc();
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// Every worker a test started and that has not exited yet; terminateAll()
// (run afterEach) makes sure a failed test does not leave the process hanging.
const liveWorkers = new Set();
async function terminateAll() {
  const workers = [...liveWorkers];
  liveWorkers.clear();
  await Promise.all(workers.map((w) => w.terminate()));
}

// Starts a worker on a fixture file (test/js/fixtures/<name>.js) or on eval'd
// code. Collects messages; `done` resolves with { code, messages } on exit
// and rejects on a worker error.
function startWorker(fileOrCode, options = {}) {
  const isFile = !fileOrCode.includes('\n') && fileOrCode.endsWith('.js');
  const worker = isFile
    ? new Worker(path.join(__dirname, 'fixtures', fileOrCode), options)
    : new Worker(fileOrCode, { ...options, eval: true });
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
  const messages = [];
  const waiters = [];
  worker.on('message', (m) => {
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const done = new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, messages }));
  });
  // Resolves with the next message satisfying pred (including ones already
  // received) and forgets it: a reply may carry a handle, and holding it here
  // would keep its map alive.
  let seen = 0;
  async function next(pred = () => true) {
    for (;;) {
      while (seen < messages.length) {
        const m = messages[seen++];
        if (pred(m)) {
          messages[seen - 1] = '<consumed>';
          return m;
        }
      }
      await Promise.race([new Promise((resolve) => waiters.push(resolve)), done.then(() => {
        if (seen >= messages.length) throw new Error('worker exited before sending the expected message');
      })]);
    }
  }
  return { worker, messages, done, next };
}

// A fixtures/rpc.js worker with a promise API: await w.ready; await w.call(op, fields).
function startRpc(workerData, options = {}) {
  const { worker, messages, done, next } = startWorker('rpc.js', { workerData, ...options });
  let seq = 0;
  const ready = next((m) => m && m.ready);
  async function request(op, fields = {}) {
    const id = ++seq;
    worker.postMessage({ seq: id, op, ...fields }, fields.transferList || []);
    const reply = await next((m) => m && m.seq === id);
    if (!reply.ok) {
      const err = new Error(reply.error.message);
      err.name = reply.error.name;
      err.code = reply.error.code;
      throw err;
    }
    return reply.result;
  }
  return {
    worker,
    messages,
    done,
    ready,
    request,
    call: (name, method, ...args) => request('call', { name, method, args }),
  };
}

module.exports = {
  LIB,
  startRpc,
  terminateAll,
  threadmap,
  keyTag,
  sortedEntries,
  sortedKeys,
  snapshot,
  rng,
  tick,
  gcUntil,
  gcHard,
  startWorker,
};
