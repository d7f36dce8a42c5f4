'use strict';
// What the JS benchmark runners share (bench/js/run.js, bench/js/compare/run.js):
// the timed window that workers run through together, and sections that
// report a failure instead of ending the run.
const os = require('node:os');
const { cpuSnapshot, otherLoad } = require('./load');

// The machine and the time a run starts, for its results.
function machineEnv() {
  return {
    date: new Date().toISOString(),
    node: process.versions.node,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    loadavgStart: os.loadavg(),
  };
}

// Slots of the control Int32Array (over a SharedArrayBuffer) that the workers
// of one window share: each bumps READY once set up, then waits on GO, and
// loops until STOP.
const CTL = { READY: 0, GO: 1, STOP: 2 };

// Runs the started workers `ws` through one window of `durationMs`: waits
// (without blocking this thread's event loop) until all are ready, flips GO,
// sets STOP after the window, and returns each worker's report (its one
// message) with the CPU other processes used meanwhile. Whatever happens,
// the workers are released and terminated.
async function timedWindow(ws, ctl, durationMs) {
  const done = ws.map((worker) => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
  }));
  let failed = null;
  const all = Promise.all(done);
  all.catch((err) => { failed = err; });
  try {
    for (;;) {
      if (failed) throw failed;
      const ready = Atomics.load(ctl, CTL.READY);
      if (ready >= ws.length) break;
      const w = Atomics.waitAsync(ctl, CTL.READY, ready, 200);
      if (w.async) await w.value;
    }
    Atomics.store(ctl, CTL.GO, 1);
    Atomics.notify(ctl, CTL.GO);
    const snap0 = cpuSnapshot();
    await new Promise((r) => setTimeout(r, durationMs));
    Atomics.store(ctl, CTL.STOP, 1);
    const snap1 = cpuSnapshot();
    const reports = await all;
    return { reports, otherLoad: otherLoad(snap0, snap1) };
  } finally {
    Atomics.store(ctl, CTL.STOP, 1);
    Atomics.store(ctl, CTL.GO, 1);
    Atomics.notify(ctl, CTL.GO);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

// A section that cannot run is reported as such (in `errors`, and on stderr)
// and gives null; the others still run.
function sectionRunner(errors, log, noun) {
  return async (name, fn) => {
    try {
      return await fn();
    } catch (err) {
      errors[name] = String(err && err.stack || err).split('\n').slice(0, 3).join(' | ');
      log(`error: the ${name} ${noun} failed: ${errors[name]}`);
      return null;
    }
  };
}

module.exports = { CTL, machineEnv, timedWindow, sectionRunner };
