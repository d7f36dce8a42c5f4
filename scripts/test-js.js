#!/usr/bin/env node
'use strict';
// npm run test:js: the JS suite, every test/js/*.test.js file, under
// `node --expose-gc --test` with any extra node flags given here. The files
// are listed by name because what `node --test <directory>` does changed
// with Node 22 (it reads the argument as a file or glob pattern, and fails
// on a directory) and a shell glob is not expanded everywhere npm runs.
//
//   node scripts/test-js.js [node flags ...]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'test', 'js');

// The suite's files, relative to the package root.
function jsTestFiles() {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join('test', 'js', f));
}

// Runs the suite with `env` in the node binary `node` (this one by default);
// returns its exit status.
function runJsTests(nodeFlags = [], env = process.env, node = process.execPath) {
  const r = spawnSync(node, [...nodeFlags, '--expose-gc', '--test', ...jsTestFiles()],
    { stdio: 'inherit', cwd: path.join(__dirname, '..'), env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

// `env` with scripts/addon-override-hook.js preloaded into every node it
// starts (through NODE_OPTIONS, so workers and child processes too), which
// loads the addon at `addon` in place of build/Release/threadmap.node.
function withAddon(addon, env = process.env) {
  // NODE_OPTIONS splits at spaces.
  if (/\s/.test(__dirname)) throw new Error(`the checkout's path must not contain spaces (${path.dirname(__dirname)})`);
  const hook = path.join(__dirname, 'addon-override-hook.js');
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS || ''} --require ${hook}`.trim(), THREADMAP_TEST_ADDON: addon };
}

// Whether lib/ loads the addon at `addon` in `node` with `env` (withAddon's):
// a suite must not run on the plain build by mistake.
function loadsAddon(node, addon, env) {
  const check = `require(${JSON.stringify(path.join(__dirname, '..', 'lib'))});
    if (!require.cache[${JSON.stringify(addon)}]) { console.error(${JSON.stringify(`the addon ${addon} did not load`)}); process.exit(1); }`;
  return spawnSync(node, ['-e', check], { env, stdio: 'inherit' }).status === 0;
}

if (require.main === module) process.exitCode = runJsTests(process.argv.slice(2));

module.exports = { runJsTests, withAddon, loadsAddon };
