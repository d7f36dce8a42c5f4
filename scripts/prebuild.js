#!/usr/bin/env node
'use strict';
// `npm pack` (prepack): builds the addon and puts it where lib/addon_path.js
// looks for a prebuilt one, prebuilds/<platform>-<arch>[-<libc>]/node-abi<N>.node,
// so that the tarball loads with no build on a machine like this one (npm 12
// runs no install script of a dependency until the project approves it).
// One binary per run: the platform and Node ABI of the node that runs it;
// a release runs it once per platform and Node major it supports.
//   node scripts/prebuild.js           build (cmake-js compile), then stage
//   node scripts/prebuild.js --clean   remove prebuilds/ (postpack: the
//                                      checkout keeps building from source)
// THREADMAP_PREBUILD_NO_COMPILE=1 stages the existing build without compiling.
const fs = require('node:fs');
const path = require('node:path');
const { builtPath, prebuiltPath } = require('../lib/addon_path');
const { cmakeJs, loadsAlone } = require('./build_support');

const root = path.join(__dirname, '..');

if (process.argv.includes('--clean')) {
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}
if (!['1', 'true'].includes(process.env.THREADMAP_PREBUILD_NO_COMPILE ?? '')) {
  const status = cmakeJs(['compile', '--out', 'build'], { toStderr: true });
  if (status !== 0) process.exit(status);
}
if (!fs.existsSync(builtPath)) {
  console.error(`prebuild: ${builtPath} is missing (build it first: npm run build)`);
  process.exit(1);
}
const dest = prebuiltPath();
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(builtPath, dest);
// The staged copy must load on its own, from its own place.
if (!loadsAlone(dest)) {
  console.error(`prebuild: ${dest} does not load`);
  process.exit(1);
}
// stderr: `npm pack --json` writes its JSON on stdout.
console.error(`prebuild: ${path.relative(root, dest)}`);
