'use strict';
// Packing and installing threadmap as a release and a user do, from a copy
// of the checkout's packed files (so the checkout is left alone), for the
// pack test (test/js/load.test.js) and test-node.js's check of a tarball
// with prebuilt addons for several Node majors.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// Runs npm quietly in `cwd`; its stdout.
function npm(args, cwd, env = {}) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

// Packs a copy of the package in `tmp`/pkg holding `built` as its build
// (nothing compiles: THREADMAP_PREBUILD_NO_COMPILE), with prebuilt addons
// for this node and for each major in `majors` (their builds in the
// checkout's build-node/, scripts/node_versions.js). Returns the copy's
// listing (`files`: what `npm pack` takes from the checkout), npm's record
// of the tarball (`packed`) and the tarball's path.
function packCopy(tmp, built, majors = []) {
  const pkg = path.join(tmp, 'pkg');
  const [listing] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root));
  for (const { path: file } of listing.files) {
    fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(pkg, file));
  }
  for (const script of ['prebuild.js', 'node_versions.js']) {
    fs.copyFileSync(path.join(root, 'scripts', script), path.join(pkg, 'scripts', script));
  }
  fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(built, path.join(pkg, 'build', 'Release', 'threadmap.node'));
  if (majors.length) fs.symlinkSync(path.join(root, 'build-node'), path.join(pkg, 'build-node'));
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], pkg,
    { THREADMAP_PREBUILD_NO_COMPILE: '1', THREADMAP_PREBUILD_NODES: majors.join(' ') }));
  return { pkg, files: listing.files, packed, tarball: path.join(tmp, packed.filename) };
}

// A new project `name` in `tmp` with `tarball` installed (npm args `args`).
function installIn(tmp, name, tarball, args = []) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  const out = npm(['install', ...args, '--prefer-offline', tarball], dir);
  return { dir, out };
}

// A script for `node -e` in a project that has threadmap: a worker adds to
// a counter of a map the main thread made; prints {code, n} (n 1000).
const sharedCounterScript = `
  const { DashMap } = require('threadmap');
  const { Worker } = require('node:worker_threads');
  const m = new DashMap();
  const w = new Worker("const { DashMap } = require('threadmap'); const { workerData } = require('node:worker_threads');" +
    "const m = DashMap.from(workerData); for (let i = 0; i < 1000; i++) m.add('n');", { eval: true, workerData: m.handle });
  w.on('exit', (code) => console.log(JSON.stringify({ code, n: m.get('n') })));`;

module.exports = { npm, packCopy, installIn, sharedCounterScript };
