'use strict';
// Runs one program of examples/: `npm run example -- NAME` (or
// `node scripts/example.js NAME`). Without NAME, or with an unknown one, it
// prints the list and exits 2.
//
// TypeScript examples run as `node --require tsx/cjs examples/NAME.ts`: the
// files compile to CommonJS (the package has no "type": "module"), and a
// worker started with `new Worker(__filename)` inherits the parent's
// execArgv, so it loads TypeScript the same way. (`tsx examples/NAME.ts`, the
// tsx CLI, registers ESM hooks with --import; on Node 20 a worker's entry
// file does not get them, and a .ts worker fails with
// ERR_UNKNOWN_FILE_EXTENSION.) The tsx path is absolute so that workers find
// it whatever the current directory.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'examples');

function list() {
  return fs.readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .map((f) => ({ name: f.replace(/\.(ts|js)$/, ''), file: path.join(dir, f) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function main() {
  const examples = list();
  const name = (process.argv[2] || '').replace(/^examples\//, '').replace(/\.(ts|js)$/, '');
  const found = examples.find((e) => e.name === name);
  if (!found) {
    if (name) console.error(`unknown example: ${name}`);
    console.error('usage: npm run example -- NAME [args...]\nexamples:');
    for (const e of examples) console.error(`  ${e.name}`);
    process.exit(2);
  }
  const args = [];
  if (found.file.endsWith('.ts')) args.push('--require', require.resolve('tsx/cjs'));
  args.push(found.file, ...process.argv.slice(3));
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      console.error(`example ${name} killed by ${signal}`);
      process.exit(1);
    }
    process.exit(code ?? 1);
  });
}

if (require.main === module) main();
module.exports = { list };
