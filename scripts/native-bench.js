#!/usr/bin/env node
// Builds and runs the native DashMap benchmark (bench/native/conc_map_bench)
// and prints a table of throughputs and ratios.
//
//   node scripts/native-bench.js [benchmark flags...]
//
// Steps:
//   1. cmake -S . -B build-bench -DTHREADMAP_BENCH=ON -DCMAKE_BUILD_TYPE=Release
//   2. cmake --build build-bench --target conc_map_bench
//   3. build-bench/bench/native/conc_map_bench --benchmark_format=json
//        --benchmark_out=bench/results/native.json [flags...]
//   4. a table, for each mix and thread count: every map's throughput
//      (Mops/s, median over the repetitions) and DashMap's ratio against the
//      best other map of the same run; printed to stdout and written as
//      markdown to bench/results/native.md.
//
// Extra arguments go to the benchmark binary, e.g.
//   node scripts/native-bench.js --benchmark_filter=ReadHeavy --benchmark_repetitions=3
//   node scripts/native-bench.js --keyspace=1048576 --ops=1048576
// Set THREADMAP_BENCH_SKIP_BUILD=1 to reuse an existing build.
// Progress goes to stderr. No dependencies.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median } = require('../bench/js/stats');

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build-bench');
const resultsDir = path.join(root, 'bench', 'results');
const jsonOut = path.join(resultsDir, 'native.json');
const mdOut = path.join(resultsDir, 'native.md');
const binary = path.join(buildDir, 'bench', 'native', 'conc_map_bench');

// Our engine's name in the benchmark, and the prefix of its variants (which
// are shown but never count as "other maps").
const OURS = 'DashMap';
// threadmap's other engines (issue 4) are shown too, never as "other maps";
// their own table is scripts/lockfree-bench-table.js.
const OUR_OTHER_ENGINES = ['LockFreeMap', 'HopscotchMap'];
const isOurs = (map) => map === OURS || map.startsWith(OURS + '-') || OUR_OTHER_ENGINES.includes(map);
// Display order, the same in every run (anything else follows in order of
// appearance, which the random interleaving changes from run to run).
const MAP_ORDER = [OURS, 'DashMap-64shards', ...OUR_OTHER_ENGINES, 'StdShardedRW', 'TBB', 'Cuckoo', 'BoostCFM',
  'CDS-FeldmanHashMap', 'CDS-SplitListMap', 'URCU-lfht'];
const MIX_ORDER = ['ReadHeavy', 'Exchange', 'RapidGrow'];
const byOrder = (order) => (a, b) => {
  const ia = order.indexOf(a), ib = order.indexOf(b);
  return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib);
};

function log(msg) {
  process.stderr.write(`[native-bench] ${msg}\n`);
}

function run(cmd, args) {
  log(`$ ${cmd} ${args.join(' ')}`);
  // The child's stdout goes to our stderr: stdout is kept for the table.
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.error) {
    log(`cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    log(`${cmd} failed with exit code ${r.status}`);
    process.exit(r.status || 1);
  }
}

// Linux CPU accounting, to tell how much outside load the run competed with.
// machineTicks(): busy and total clock ticks of the whole machine so far;
// childTicks(): CPU ticks of this process's waited-for children (the
// benchmark, once it has exited). Both null where /proc is missing.
function machineTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] || 0), total };
  } catch {
    return null;
  }
}
function selfTicks() {
  try {
    const s = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
    // fields 14-17 of proc(5) (utime stime cutime cstime) are f[11..14] here
    return { self: f[11] + f[12], children: f[13] + f[14] };
  } catch {
    return null;
  }
}
function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
// Share of the machine's CPU capacity used over `ms` (0..1), or null.
function cpuBusy(ms) {
  const a = machineTicks();
  if (!a) return null;
  sleepMs(ms);
  const b = machineTicks();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : null;
}

function cpuModel() {
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) return m[1].trim();
  } catch {}
  const c = os.cpus();
  return c.length ? c[0].model : 'unknown';
}

// The commit the engine was built from, and whether its headers differ from
// it (read-only git calls; --no-optional-locks: never touch the index).
function engineVersion() {
  const git = (args) => spawnSync('git', ['--no-optional-locks', ...args], { cwd: root, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git(['status', '--porcelain', '--', 'native/core/include']);
  return head.stdout.trim() + (dirty.stdout && dirty.stdout.trim() ? ' + uncommitted changes in native/core/include' : '');
}

function runBenchmark(args) {
  return new Promise((resolve) => {
    log(`$ ${path.relative(root, binary)} ${args.join(' ')}`);
    const child = spawn(binary, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let lastName = null;
    let done = 0;
    const started = Date.now();
    child.stdout.on('data', (chunk) => {
      // The JSON reporter streams one object per finished run; report each
      // as it completes.
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let m;
        if ((m = line.match(/^\s*"name": "(.*)",$/))) {
          lastName = m[1];
        } else if (lastName && (m = line.match(/^\s*"items_per_second": ([0-9.eE+-]+)/))) {
          if (!/_(mean|median|stddev|cv)$/.test(lastName)) {
            done++;
            const secs = ((Date.now() - started) / 1000).toFixed(0);
            log(`${String(done).padStart(3)}  ${secs.padStart(4)}s  ${shortName(lastName).padEnd(44)} ${(Number(m[1]) / 1e6).toFixed(2)} Mops/s`);
          }
          lastName = null;
        } else if (lastName && (m = line.match(/^\s*"error_message": "(.*)",?$/))) {
          if (!/_(mean|median|stddev|cv)$/.test(lastName)) log(`     ${shortName(lastName).padEnd(50)} ${m[1]}`);
          lastName = null;
        }
      }
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        log(`benchmark exited with ${signal || code}`);
        process.exit(code || 1);
      }
      resolve();
    });
  });
}

function shortName(name) {
  return name.replace('/iterations:1', '').replace('/manual_time', '');
}

// "Mix/Map/threads:N/..." -> { mix, map, threads }
function parseName(runName) {
  const parts = runName.split('/');
  const t = parts.find((p) => p.startsWith('threads:'));
  return { mix: parts[0], map: parts[1], threads: t ? Number(t.slice(8)) : 1 };
}

function summarize(report) {
  // key "mix|threads" -> map -> { runs: [ips...], counters: [...], error }
  const groups = new Map();
  const mixOrder = [];
  const mapOrder = [];
  for (const b of report.benchmarks) {
    if (b.run_type === 'aggregate') continue;  // recomputed below from the runs
    const { mix, map, threads } = parseName(b.run_name || b.name);
    if (!mixOrder.includes(mix)) mixOrder.push(mix);
    if (!mapOrder.includes(map)) mapOrder.push(map);
    const key = `${mix}|${threads}`;
    if (!groups.has(key)) groups.set(key, { mix, threads, maps: new Map() });
    const g = groups.get(key);
    if (!g.maps.has(map)) g.maps.set(map, { runs: [], counters: [], error: null });
    const e = g.maps.get(map);
    if (b.error_occurred) {
      e.error = b.error_message || 'skipped';
      continue;
    }
    e.runs.push(b.items_per_second);
    e.counters.push({ reads_hit: b.reads_hit, inserted: b.inserted, removed: b.removed, updated: b.updated });
  }
  mixOrder.sort(byOrder(MIX_ORDER));
  mapOrder.sort(byOrder(MAP_ORDER));
  const rows = [];
  for (const mix of mixOrder) {
    const threadsList = [...groups.values()].filter((g) => g.mix === mix).map((g) => g.threads).sort((a, b) => a - b);
    for (const threads of threadsList) {
      const g = groups.get(`${mix}|${threads}`);
      const cells = {};
      for (const map of mapOrder) {
        const e = g.maps.get(map);
        if (!e) continue;
        if (e.error || e.runs.length === 0) {
          cells[map] = { skipped: e.error || 'no result' };
          continue;
        }
        const med = median(e.runs);
        const mean = e.runs.reduce((a, b) => a + b, 0) / e.runs.length;
        const sd = Math.sqrt(e.runs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, e.runs.length - 1));
        cells[map] = { mops: med / 1e6, cv: e.runs.length > 1 ? sd / mean : 0, n: e.runs.length, counters: e.counters[0] };
      }
      let best = null;
      for (const [map, c] of Object.entries(cells)) {
        if (isOurs(map) || c.skipped) continue;
        if (!best || c.mops > best.mops) best = { map, mops: c.mops };
      }
      const ours = cells[OURS] && !cells[OURS].skipped ? cells[OURS].mops : null;
      rows.push({ mix, threads, cells, best, ratio: ours !== null && best ? ours / best.mops : null });
    }
  }
  return { rows, maps: mapOrder };
}

// At 1 thread every map runs the same sequence with the same semantics, so
// the per-kind success counts must agree exactly.
function checkCounts(rows) {
  const problems = [];
  for (const r of rows) {
    if (r.threads !== 1) continue;
    let ref = null;
    for (const [map, c] of Object.entries(r.cells)) {
      if (c.skipped || !c.counters) continue;
      const s = JSON.stringify(c.counters);
      if (ref === null) ref = { map, s };
      else if (s !== ref.s) problems.push(`${r.mix}: ${map} ${s} differs from ${ref.map} ${ref.s}`);
    }
  }
  return problems;
}

function fmtRatio(x) {
  return x === null ? 'n/a' : `${x.toFixed(2)}x`;
}

function table(summary, markdown) {
  const { rows, maps } = summary;
  const head = ['mix', 'threads', ...maps.map((m) => `${m} Mops/s`), 'best other', `${OURS} / best other`];
  const body = rows.map((r) => [
    r.mix,
    String(r.threads),
    ...maps.map((m) => {
      const c = r.cells[m];
      if (!c) return '';
      if (c.skipped) return 'skipped';
      return c.mops.toFixed(2);
    }),
    r.best ? r.best.map : 'n/a',
    fmtRatio(r.ratio),
  ]);
  if (markdown) {
    const line = (cells) => `| ${cells.join(' | ')} |`;
    return [line(head), line(head.map((_, i) => (i < 2 ? '---' : '---:'))), ...body.map(line)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

function spreadTable(summary) {
  const { rows, maps } = summary;
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const head = ['mix', 'threads', ...maps];
  const out = [line(head), line(head.map((_, i) => (i < 2 ? '---' : '---:')))];
  for (const r of rows) {
    out.push(line([r.mix, String(r.threads), ...maps.map((m) => {
      const c = r.cells[m];
      if (!c || c.skipped) return '';
      return `${(c.cv * 100).toFixed(0)}% (n=${c.n})`;
    })]));
  }
  return out.join('\n');
}

async function main() {
  const extra = process.argv.slice(2);
  if (!process.env.THREADMAP_BENCH_SKIP_BUILD) {
    run('cmake', ['-S', '.', '-B', 'build-bench', '-DTHREADMAP_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release']);
    run('cmake', ['--build', 'build-bench', '--target', 'conc_map_bench', '-j', String(os.cpus().length || 2)]);
  }
  if (!fs.existsSync(binary)) {
    log(`no binary at ${binary}`);
    process.exit(1);
  }
  fs.mkdirSync(resultsDir, { recursive: true });

  // Optionally wait for the machine to be quiet (other builds, tests...).
  const waitQuiet = Number(process.env.THREADMAP_BENCH_WAIT_QUIET || 0);
  let busy = cpuBusy(1000);
  const deadline = Date.now() + waitQuiet * 1000;
  while (busy !== null && busy > 0.1 && Date.now() < deadline) {
    log(`machine is ${(busy * 100).toFixed(0)}% busy; waiting for it to be quiet (THREADMAP_BENCH_WAIT_QUIET=${waitQuiet})`);
    sleepMs(4000);
    busy = cpuBusy(1000);
  }
  if (busy !== null) {
    log(`machine CPU use before the run: ${(busy * 100).toFixed(0)}%`);
    if (busy > 0.1) log('warning: something else is using the CPU; the figures will be noisy');
  }

  const args = [
    '--benchmark_format=json',
    `--benchmark_out=${path.relative(root, jsonOut)}`,
    '--benchmark_out_format=json',
    // Repetitions of different maps interleave in random order, so that a
    // burst of outside load spreads over all maps instead of hitting one.
    '--benchmark_enable_random_interleaving=true',
    ...extra,
  ];
  const m0 = machineTicks();
  const s0 = selfTicks();
  const engine = engineVersion();
  log(`engine: ${engine}`);
  const t0 = Date.now();
  await runBenchmark(args);
  const elapsed = (Date.now() - t0) / 1000;
  const m1 = machineTicks();
  const s1 = selfTicks();
  log(`benchmark finished in ${elapsed.toFixed(0)} s; results in ${path.relative(root, jsonOut)}`);
  // CPU used by everything else while the benchmark ran, in cores (0..ncpu).
  let outside = null;
  if (m0 && m1 && s0 && s1 && m1.total > m0.total) {
    const ncpu = os.cpus().length || 1;
    const ours = s1.self - s0.self + (s1.children - s0.children);
    outside = (Math.max(0, m1.busy - m0.busy - ours) / (m1.total - m0.total)) * ncpu;
    log(`other processes used ${outside.toFixed(2)} cores on average during the run`);
    if (outside > 0.1) log('warning: the run competed with other processes; the figures are noisy');
  }

  // Google Benchmark writes NaN/inf for some aggregates (the cv of a counter
  // that is always 0), which is not JSON.
  const raw = fs.readFileSync(jsonOut, 'utf8').replace(/(:\s*)-?(nan|inf|infinity)\b/gi, '$1null');
  const report = JSON.parse(raw);
  const summary = summarize(report);
  const problems = checkCounts(summary.rows);
  for (const p of problems) log(`COUNT MISMATCH at 1 thread: ${p}`);

  const command = `node scripts/native-bench.js${extra.length ? ' ' + extra.join(' ') : ''}`;
  const ctx = report.context || {};
  const machine = `${os.cpus().length} CPUs (${cpuModel()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`;
  const skipped = new Set();
  for (const r of summary.rows) for (const c of Object.values(r.cells)) if (c.skipped) skipped.add(c.skipped);

  process.stdout.write('\n' + table(summary, false) + '\n\n');
  process.stdout.write(`Mops/s: median over repetitions; ${OURS} / best other: ${OURS}'s throughput divided by the best non-${OURS} map of the same row.\n`);
  for (const s of skipped) process.stdout.write(`${s}\n`);
  if (problems.length) process.stdout.write(`WARNING: ${problems.length} count mismatch(es) at 1 thread, see above\n`);

  const md = [
    '# Native benchmark: DashMap vs other concurrent maps',
    '',
    `- date: ${new Date().toISOString()}`,
    `- command: \`${command}\``,
    `- machine: ${machine}`,
    `- engine: commit ${engine}`,
    `- outside load: machine ${busy === null ? '?' : (busy * 100).toFixed(0) + '%'} busy just before the run; other processes used ${outside === null ? '?' : outside.toFixed(2)} cores on average during it`,
    `- key space: ${ctx['threadmap.keyspace'] || '?'} distinct u64 keys; ops per run (all threads): ${ctx['threadmap.ops_per_run'] || '?'}; DashMap default shards: ${ctx['threadmap.dash_default_shards'] || '?'}`,
    `- memory freed by earlier runs: ${ctx['threadmap.freed_memory'] || '?'}`,
    `- benchmark wall time: ${elapsed.toFixed(0)} s; raw results: bench/results/native.json`,
    '',
    'Mixes (read/insert/remove/update %, prefill of the key space): ReadHeavy 98/1/1/0 75%, Exchange 10/40/40/10 75%, RapidGrow 5/80/5/10 from empty.',
    `Throughput in Mops/s (all threads together), median over the repetitions. "${OURS} / best other" divides ${OURS} (default shard count) by the best map that is not a ${OURS} variant in the same row.`,
    '',
    table(summary, true),
    '',
    'Run-to-run spread (coefficient of variation of the repetitions):',
    '',
    spreadTable(summary),
    '',
    ...[...skipped].map((s) => `- ${s}`),
    problems.length ? `\nWARNING: count mismatches at 1 thread:\n${problems.map((p) => `- ${p}`).join('\n')}` : '- 1-thread check: every map reported the same hit/insert/remove/update counts.',
    '',
  ].join('\n');
  fs.writeFileSync(mdOut, md);
  log(`table written to ${path.relative(root, mdOut)}`);
  if (problems.length) process.exitCode = 2;
}

main().catch((e) => {
  log(e.stack || String(e));
  process.exit(1);
});
