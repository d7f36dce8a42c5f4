#!/usr/bin/env node
'use strict';
// `npm pack` (prepack): builds the addon and puts it where lib/addon_path.js
// looks for a prebuilt one, prebuilds/<platform>-<arch>[-<libc>]/node-abi<N>.node,
// so that the tarball loads with no build on a machine like this one (npm 12
// runs no install script of a dependency until the project approves it).
// One binary for the node that runs it, and on Linux x64 (glibc) one for
// each other Node major in THREADMAP_PREBUILD_NODES (e.g. "22 24 26": each
// built with that major's official build, scripts/node_versions.js), since
// a build serves one Node major. A release packs with every supported major
// listed, and once per other platform.
//   node scripts/prebuild.js           build (cmake-js compile), then stage
//   node scripts/prebuild.js --clean   remove prebuilds/ (postpack: the
//                                      checkout keeps building from source)
// THREADMAP_PREBUILD_NO_COMPILE=1 stages the existing builds (build/, and
// build-node/<major>/addon for the listed majors) without compiling.
const fs = require('node:fs');
const path = require('node:path');
const { builtPath, prebuiltPath } = require('../lib/addon_path');
const { cmakeJs, loadsAlone } = require('./build_support');

const root = path.join(__dirname, '..');

if (process.argv.includes('--clean')) {
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}
const compile = !['1', 'true'].includes(process.env.THREADMAP_PREBUILD_NO_COMPILE ?? '');
const otherMajors = (process.env.THREADMAP_PREBUILD_NODES ?? '').split(/[\s,]+/).filter(Boolean)
  .filter((m) => m !== process.versions.node.split('.')[0]);

// Copies the addon `from` to `dest` and checks that `node` loads it there.
function stage(from, dest, node) {
  if (!fs.existsSync(from)) {
    console.error(`prebuild: ${from} is missing (build it first)`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(from, dest);
  // The staged copy must load on its own, from its own place.
  if (!loadsAlone(dest, node)) {
    console.error(`prebuild: ${dest} does not load`);
    process.exit(1);
  }
  // stderr: `npm pack --json` writes its JSON on stdout.
  console.error(`prebuild: ${path.relative(root, dest)}`);
}

if (compile) {
  const status = cmakeJs(['compile', '--out', 'build'], { toStderr: true });
  if (status !== 0) process.exit(status);
}
stage(builtPath, prebuiltPath(), process.execPath);

if (otherMajors.length) {
  // Required only when asked for (it fetches Node builds).
  const versions = require('./node_versions');
  if (!versions.fetchableHere()) {
    console.error(`prebuild: THREADMAP_PREBUILD_NODES needs Linux x64 with glibc (the official builds); this is ${process.platform}-${process.arch}`);
    process.exit(1);
  }
  for (const major of otherMajors) {
    const node = versions.nodeBinary(major);
    if (compile && versions.buildAddon(major, node) !== 0) process.exit(1);
    const { abi } = versions.describe(node);
    stage(versions.addonPath(major), path.join(path.dirname(prebuiltPath()), `node-abi${abi}.node`), node);
  }
}
