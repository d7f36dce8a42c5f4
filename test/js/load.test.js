'use strict';
// Loading the package when its native addon was never built (npm 12 skips a
// dependency's install script until the project approves it): the error
// says what is missing and how to build it, keeps Node's code and cause.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

test('a package whose addon is not built fails to load with the way to build it', async (t) => {
  // The package's lib/ and package.json, without build/.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-unbuilt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));

  const script = `
    try { require(${JSON.stringify(dir)}); console.log('loaded'); }
    catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, cause: e.cause && e.cause.code })); }`;
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout))));
  const r = JSON.parse(out);
  assert.equal(r.code, 'MODULE_NOT_FOUND');
  assert.equal(r.cause, 'MODULE_NOT_FOUND');
  assert.match(r.message, /native addon is not built/);
  assert.ok(r.message.includes(path.join(dir, 'build', 'Release', 'threadmap.node')), r.message);
  assert.match(r.message, /npm install-scripts approve threadmap/);
  assert.match(r.message, /npm rebuild threadmap/);
});

test('the built package loads', () => {
  const threadmap = require(root);
  const m = new threadmap.DashMap();
  m.set('k', 1);
  assert.equal(m.get('k'), 1);
});
