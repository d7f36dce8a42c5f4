'use strict';
// Loading the package: from a build made here, from the prebuilt addon a
// packed tarball carries (npm 12 runs no install script of a dependency
// until the project approves it), or, with neither, an error that says what
// is missing and how to build it, with Node's code and cause.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { prebuildTag } = require('../../lib/addon_path');
const { packCopy, installIn, sharedCounterScript } = require('../../scripts/pack_support');

const root = path.join(__dirname, '..', '..');
// The addon this process loads: the build, or the one that
// scripts/addon-override-hook.js puts in its place (a sanitized build, or
// one for the Node version running the suite: scripts/test-node.js).
const built = process.env.THREADMAP_TEST_ADDON || path.join(root, 'build', 'Release', 'threadmap.node');

// The package's lib/ and package.json in a fresh directory, without build/;
// `prebuilds` maps file names under prebuilds/<this platform's tag>/ to
// their contents.
function unbuiltPackage(t, prebuilds = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-unbuilt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  for (const [name, bytes] of Object.entries(prebuilds)) {
    const file = path.join(dir, 'prebuilds', prebuildTag(), name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }
  return dir;
}

// Requires `dir` in a new process; what it printed (JSON), or the error's
// message, code and cause's code.
async function loadIn(dir, body = "const m = new t.DashMap(); m.set('k', 41); console.log(JSON.stringify({ got: m.add('k') }));") {
  const script = `
    let t;
    try { t = require(${JSON.stringify(dir)}); }
    catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, cause: e.cause && e.cause.code })); process.exit(0); }
    ${body}`;
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout))));
  return JSON.parse(out);
}

test('a package whose addon is not built fails to load with the way to build it', async (t) => {
  // A prebuilt addon for another Node ABI is not one for this process.
  const dir = unbuiltPackage(t, { 'node-abi1.node': fs.readFileSync(built) });
  const r = await loadIn(dir);
  assert.equal(r.code, 'MODULE_NOT_FOUND');
  assert.equal(r.cause, 'MODULE_NOT_FOUND');
  assert.match(r.message, /native addon is not built/);
  assert.ok(r.message.includes(path.join(dir, 'build', 'Release', 'threadmap.node')), r.message);
  assert.match(r.message, /npm install-scripts approve threadmap/);
  assert.match(r.message, /npm rebuild threadmap/);
  assert.ok(r.message.includes(path.join(dir, 'prebuilds', prebuildTag(), `node-abi${process.versions.modules}.node`)),
    `names the prebuilt addon it looked for: ${r.message}`);
});

test('a package with no build loads its prebuilt addon for this platform and Node ABI', async (t) => {
  const dir = unbuiltPackage(t, { [`node-abi${process.versions.modules}.node`]: fs.readFileSync(built) });
  assert.deepEqual(await loadIn(dir), { got: 42 });
  assert.match(prebuildTag(), /^[a-z0-9]+-[a-z0-9]+(-glibc|-musl)?$/);
  if (process.platform === 'linux') {
    // The tag's C library, read from node's ELF interpreter, against the
    // one process.report names (only glibc reports a version).
    const glibc = process.report.getReport().header.glibcVersionRuntime;
    assert.equal(prebuildTag().endsWith('-glibc'), Boolean(glibc), `${prebuildTag()} with glibc ${glibc}`);
    assert.equal(prebuildTag().endsWith('-musl'), !glibc);
  }
});

test('a prebuilt addon that does not load says so and how to build from source', async (t) => {
  const dir = unbuiltPackage(t, { [`node-abi${process.versions.modules}.node`]: 'not a shared object' });
  const r = await loadIn(dir);
  assert.match(r.message, /the prebuilt addon .* does not load in this process/);
  assert.match(r.message, /THREADMAP_BUILD_FROM_SOURCE=1 npm rebuild threadmap/);
  assert.equal(r.code, 'ERR_DLOPEN_FAILED');
  assert.equal(r.cause, 'ERR_DLOPEN_FAILED');
});

// npm pack and install as a user does: the tarball carries the prebuilt
// addon (prepack), a project installs it with install scripts off (npm 12's
// default) and shares a map with a worker; with them on, the install
// script takes the prebuilt addon and builds nothing. Packed from a copy of
// the package's files with this checkout's build (so it compiles nothing
// and leaves the checkout alone); the dependencies come from npm's cache
// or registry.
test('npm pack makes a tarball that loads with no build and no install script',
  { skip: process.env.THREADMAP_TEST_SANITIZER ? 'packs the plain build; covered by the plain run' : false, timeout: 300000 },
  async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-pack-'));
    t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const { pkg, files, packed, tarball } = packCopy(tmp, built);
    assert.ok(!files.some((f) => f.path.startsWith('build/') || f.path.startsWith('test/')), 'no build output or tests');
    const prebuilt = `prebuilds/${prebuildTag()}/node-abi${process.versions.modules}.node`;
    assert.ok(packed.files.some((f) => f.path === prebuilt), `the tarball holds ${prebuilt}`);
    assert.deepEqual(packed.files.filter((f) => f.path.startsWith('prebuilds/')).map((f) => f.path), [prebuilt], 'and no other');
    assert.ok(!fs.existsSync(path.join(pkg, 'prebuilds')), 'postpack removed the staged copy');

    // Install scripts off: no build/, and the map works across a worker.
    const quiet = installIn(tmp, 'no-scripts', tarball, ['--ignore-scripts']).dir;
    assert.ok(!fs.existsSync(path.join(quiet, 'node_modules', 'threadmap', 'build')));
    const run = execFileSync(process.execPath, ['-e', sharedCounterScript], { cwd: quiet, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(run), { code: 0, n: 1000 });

    // Install scripts on: the install script takes the prebuilt addon.
    const { dir: loud, out } = installIn(tmp, 'with-scripts', tarball, ['--foreground-scripts']);
    assert.match(out, new RegExp(`using the prebuilt addon ${prebuilt.replace(/[.]/g, '\\.')}`));
    assert.ok(!fs.existsSync(path.join(loud, 'node_modules', 'threadmap', 'build')), 'built nothing');
    assert.deepEqual(JSON.parse(execFileSync(process.execPath,
      ['-e', "const m = new (require('threadmap').DashSet)(['a']); console.log(JSON.stringify(m.insert('a')))"], { cwd: loud, encoding: 'utf8' })), false);
  });

test('the built package loads', () => {
  const threadmap = require(root);
  const m = new threadmap.DashMap();
  m.set('k', 1);
  assert.equal(m.get('k'), 1);
});
