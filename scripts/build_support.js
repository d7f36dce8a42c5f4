'use strict';
// What the install script and prebuild.js share: running cmake-js, and
// checking that a built addon loads.
//
// cmakeJs: runs the package's cmake-js (a dependency, so it is installed wherever
// threadmap is) with `args`, its output on ours (all on stderr with
// `toStderr`, for `npm pack --json`, whose stdout is the JSON). Returns its
// exit status.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

function cmakeJs(args, { toStderr = false } = {}) {
  const bin = require.resolve('cmake-js/bin/cmake-js');
  const stdio = toStderr ? ['inherit', 2, 2] : 'inherit';
  const r = spawnSync(process.execPath, [bin, ...args], { stdio, cwd: path.join(__dirname, '..') });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

// Whether the addon at `file` loads in a node process of its own (so that
// a binary that does not fit, an older C library say, fails there and not
// in the caller), run by `node`, and exports the DashMap class. Its error
// output goes to the caller's stderr.
function loadsAlone(file, node = process.execPath) {
  const r = spawnSync(node,
    ['-e', `if (typeof require(${JSON.stringify(file)}).DashMap !== 'function') process.exit(3);`],
    { stdio: ['ignore', 2, 2] });
  return r.status === 0;
}

module.exports = { cmakeJs, loadsAlone };
