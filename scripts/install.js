#!/usr/bin/env node
'use strict';
// The package's install script. When the package holds a prebuilt addon for
// this platform and Node ABI (lib/addon_path.js) and it loads, there is
// nothing to build; otherwise (or with THREADMAP_BUILD_FROM_SOURCE=1) the
// addon is built here with cmake-js, as it always is in a checkout (which
// holds no prebuilt addon: `npm pack` makes it, scripts/prebuild.js).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { prebuiltPath } = require('../lib/addon_path');
const { cmakeJs } = require('./cmake_js');

const fromSource = !['', '0', 'false'].includes(process.env.THREADMAP_BUILD_FROM_SOURCE ?? '');
const prebuilt = prebuiltPath();

// Loads in a process of its own, so that a binary that does not fit (an
// older C library, say) fails there and not in this script.
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'pipe', encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`threadmap: the prebuilt addon does not load here:\n${r.stderr}`);
  return r.status === 0;
}

if (!fromSource && fs.existsSync(prebuilt) && loads(prebuilt)) {
  const rel = path.relative(path.join(__dirname, '..'), prebuilt);
  console.log(`threadmap: using the prebuilt addon ${rel} (THREADMAP_BUILD_FROM_SOURCE=1 builds it from source instead)`);
  process.exit(0);
}
process.exit(cmakeJs(['compile', '--out', 'build']));
