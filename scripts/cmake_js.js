'use strict';
// Runs the package's cmake-js (a dependency, so it is installed wherever
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

module.exports = { cmakeJs };
