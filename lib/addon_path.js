'use strict';
// Where the native addon is: a build made on this machine (the install
// script's or `npm run build`'s), or a prebuilt binary shipped in the
// package (`npm pack` makes one, scripts/prebuild.js).
//
// A prebuilt addon is tagged with what it needs of the process that loads
// it: the platform, the CPU architecture, on Linux the C library (a glibc
// build does not run on musl), and Node's ABI (process.versions.modules).
// The ABI is part of the tag because the addon uses V8's own API beside
// Node-API (the handle's SharedArrayBuffer, the fast path, structured
// clone), which is stable within a Node major version and not across them.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const builtPath = path.join(root, 'build', 'Release', 'threadmap.node');

// On Linux: 'musl' if this node runs on musl's dynamic loader, else 'glibc'.
// Read from the ELF interpreter named at the start of node's own binary (a
// few kB, no child process; process.report would cost milliseconds per
// thread that loads threadmap).
function linuxLibc() {
  let fd;
  try {
    fd = fs.openSync(process.execPath, 'r');
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).includes('/ld-musl-') ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** prebuilds/<tag>/: linux-x64-glibc, darwin-arm64, ... */
function prebuildTag() {
  const base = `${process.platform}-${process.arch}`;
  return process.platform === 'linux' ? `${base}-${linuxLibc()}` : base;
}

/** The prebuilt addon this process could load, if the package has it. */
function prebuiltPath() {
  return path.join(root, 'prebuilds', prebuildTag(), `node-abi${process.versions.modules}.node`);
}

module.exports = { builtPath, prebuiltPath, prebuildTag };
