#!/usr/bin/env node
'use strict';
// npm run fuzz: builds the libFuzzer targets of test/fuzz with clang (into
// build-fuzz) and runs each for a time budget, starting from its seed corpus
// in test/fuzz/corpus/<target> (copied: the run's findings go to
// build-fuzz/corpus, never into the repository). Prints, per target, the
// executions and the coverage libFuzzer reached; a crash or a differential
// mismatch fails the run (its reproducer is in build-fuzz/crashes). The
// codec target is JS (test/fuzz/codec_fuzz.js: the codec reads V8 values, so
// it is fuzzed in process, with a seeded generator; a failure prints its seed).
//
//   node scripts/fuzz.js [--seconds=60] [--jobs=N] [target ...]
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'build-fuzz');
const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const seconds = arg('seconds', 60);
const jobs = Math.max(1, arg('jobs', os.cpus().length));
const targets = ['dash_map', 'lock_map', 'lru_lock_map', 'lock_free_map', 'hopscotch_map', 'hopscotch_map_nodes', 'codec'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const run = chosen.length ? targets.filter((t) => chosen.includes(t)) : targets;

function sh(cmd, args, env) {
  process.stderr.write(`+ ${cmd} ${args.join(' ')}\n`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
}

sh('cmake', ['-S', root, '-B', dir, '-DTHREADMAP_FUZZ=ON', '-DCMAKE_BUILD_TYPE=RelWithDebInfo'], { CXX: 'clang++', CC: 'clang' });
sh('cmake', ['--build', dir, '-j', String(jobs)]);

function fuzzCodec() {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(root, 'test', 'fuzz', 'codec_fuzz.js'), `--seconds=${seconds}`], { cwd: root });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { process.stderr.write(d); });
    p.on('close', (code) => {
      let rep = {};
      try { rep = JSON.parse(out.trim().split('\n').pop()); } catch { /* failed: reported on stderr */ }
      const r = { target: 'codec', ok: code === 0, execs: rep.executions || 0, cov: rep.valueKinds || 0, features: 0, seconds };
      process.stderr.write(`codec: ${r.ok ? 'ok' : 'FAILED'}, ${r.execs} executions, ${r.cov} value kinds (seed ${rep.seed})\n`);
      resolve(r);
    });
  });
}

function fuzzOne(target) {
  if (target === 'codec') return fuzzCodec();
  const corpus = path.join(dir, 'corpus', target);
  const crashes = path.join(dir, 'crashes', target);
  fs.mkdirSync(corpus, { recursive: true });
  fs.mkdirSync(crashes, { recursive: true });
  const seeds = path.join(root, 'test', 'fuzz', 'corpus', target);
  for (const f of fs.existsSync(seeds) ? fs.readdirSync(seeds) : []) fs.copyFileSync(path.join(seeds, f), path.join(corpus, f));
  const bin = path.join(dir, 'test', 'fuzz', `${target}_fuzz`);
  return new Promise((resolve) => {
    const p = spawn(bin, [`-max_total_time=${seconds}`, '-print_final_stats=1', `-artifact_prefix=${crashes}/`, corpus], { cwd: root });
    let out = '';
    p.stderr.on('data', (d) => { out += d; });
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', (code) => {
      const execs = Number((out.match(/stat::number_of_executed_units:\s*(\d+)/) || [])[1] || 0);
      const covs = [...out.matchAll(/cov: (\d+) ft: (\d+)/g)];
      const last = covs[covs.length - 1] || [];
      const r = { target, ok: code === 0, execs, cov: Number(last[1] || 0), features: Number(last[2] || 0), seconds };
      process.stderr.write(`${target}: ${r.ok ? 'ok' : 'FAILED'}, ${execs} executions, cov ${r.cov}, ft ${r.features}\n`);
      if (!r.ok) process.stderr.write(out.split('\n').slice(-40).join('\n') + '\n');
      resolve(r);
    });
  });
}

(async () => {
  const results = [];
  const queue = [...run];
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length) results.push(await fuzzOne(queue.shift()));
  }));
  results.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));
  const md = ['| target | seconds | executions | coverage (edges; codec: value kinds) | features | result |', '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.target} | ${r.seconds} | ${r.execs.toLocaleString('en-US')} | ${r.cov} | ${r.features} | ${r.ok ? 'no finding' : '**FAILED**'} |`)].join('\n');
  process.stdout.write(md + '\n');
  fs.writeFileSync(path.join(dir, 'fuzz-results.json'), JSON.stringify(results, null, 2) + '\n');
  if (results.some((r) => !r.ok)) process.exitCode = 1;
})();
