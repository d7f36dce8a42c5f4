'use strict';
// DashSet against a JS Set in one thread, on the same 100,000 short string
// members: has (every member), add of members already there, insert of new
// members into an emptied set (clear untimed), delete then add back. Rounds
// alternate DashSet / Set; the figure is the median ns/op and the ratio.
//   node --expose-gc bench/js/set.js [rounds] [warmup]
// A measurement, never an assertion.
const path = require('node:path');
const { DashSet } = require(path.resolve(__dirname, '..', '..'));
const { cpuSnapshot, otherLoad } = require('./load');
const { median } = require('./stats');

const N = 100_000;
const ROUNDS = Number(process.argv[2] || 15);
const WARMUP = Number(process.argv[3] || 5);

const members = Array.from({ length: N }, (_, i) => 'key:' + i);
// One fixed shuffle (a linear congruential walk), the same for both sets.
const order = members.slice();
for (let i = N - 1, x = 12345; i > 0; i--) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const j = x % (i + 1);
  [order[i], order[j]] = [order[j], order[i]];
}

// One function per (kind, op), so that each call site stays monomorphic.
const ops = {
  has: {
    dash: (s) => { let n = 0; for (let i = 0; i < N; i++) if (s.has(order[i])) n++; return n; },
    js: (s) => { let n = 0; for (let i = 0; i < N; i++) if (s.has(order[i])) n++; return n; },
  },
  'add (present)': {
    dash: (s) => { for (let i = 0; i < N; i++) s.add(order[i]); return s.size; },
    js: (s) => { for (let i = 0; i < N; i++) s.add(order[i]); return s.size; },
  },
  'insert (new)': {
    before: (s) => s.clear(),
    dash: (s) => { let n = 0; for (let i = 0; i < N; i++) if (s.insert(order[i])) n++; return n; },
    // A JS Set's "was it new" is has + add.
    js: (s) => { let n = 0; for (let i = 0; i < N; i++) { const v = order[i]; if (!s.has(v)) { s.add(v); n++; } } return n; },
  },
  'delete + add': {
    dash: (s) => { for (let i = 0; i < N; i++) { s.delete(order[i]); s.add(order[i]); } return s.size; },
    js: (s) => { for (let i = 0; i < N; i++) { s.delete(order[i]); s.add(order[i]); } return s.size; },
  },
};

function time(fn, set, before) {
  if (before) before(set);
  const t0 = process.hrtime.bigint();
  const r = fn(set);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (r !== N) throw new Error(`a round returned ${r}, expected ${N}`);
  return ns;
}

let dashSet = new DashSet(members);
let jsSet = new Set(members);
for (const [name, op] of Object.entries(ops)) {
  for (let r = 0; r < WARMUP; r++) { time(op.dash, dashSet, op.before); time(op.js, jsSet, op.before); }
  if (global.gc) global.gc();
  const dash = [];
  const js = [];
  const snap = cpuSnapshot();
  for (let r = 0; r < ROUNDS; r++) {
    if (r & 1) { js.push(time(op.js, jsSet, op.before)); dash.push(time(op.dash, dashSet, op.before)); }
    else { dash.push(time(op.dash, dashSet, op.before)); js.push(time(op.js, jsSet, op.before)); }
  }
  const load = otherLoad(snap, cpuSnapshot());
  const d = median(dash);
  const j = median(js);
  console.log(`${name.padEnd(14)} DashSet ${d.toFixed(1).padStart(6)} ns/op   Set ${j.toFixed(1).padStart(6)} ns/op   ratio ${(d / j).toFixed(2)}` +
    (load !== null && load >= 0.25 ? `   [other processes used ${load.toFixed(2)} cores: noisy]` : ''));
  if (dashSet.size !== N || jsSet.size !== N) throw new Error('the sets lost members');
}
dashSet = jsSet = undefined;
