#!/usr/bin/env node
'use strict';
// The package's install script. When the package holds a prebuilt addon for
// this platform and Node ABI (lib/addon_path.js) and it loads, there is
// nothing to build; otherwise (or with THREADMAP_BUILD_FROM_SOURCE=1) the
// addon is built here with cmake-js, as it always is in a checkout (which
// holds no prebuilt addon: `npm pack` makes it, scripts/prebuild.js).
const fs = require('node:fs');
const path = require('node:path');
const { prebuiltPath } = require('../lib/addon_path');
const { cmakeJs, loadsAlone } = require('./build_support');

const fromSource = !['', '0', 'false'].includes(process.env.THREADMAP_BUILD_FROM_SOURCE ?? '');
const prebuilt = prebuiltPath();

if (!fromSource && fs.existsSync(prebuilt)) {
  const rel = path.relative(path.join(__dirname, '..'), prebuilt);
  if (loadsAlone(prebuilt)) {
    console.log(`threadmap: using the prebuilt addon ${rel} (THREADMAP_BUILD_FROM_SOURCE=1 builds it from source instead)`);
    process.exit(0);
  }
  console.error(`threadmap: the prebuilt addon ${rel} does not load here (above); building from source`);
}
process.exit(cmakeJs(['compile', '--out', 'build']));
