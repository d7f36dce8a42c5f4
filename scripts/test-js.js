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

if (require.main === module) process.exitCode = runJsTests(process.argv.slice(2));

module.exports = { runJsTests };
