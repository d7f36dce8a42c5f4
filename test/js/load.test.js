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
    const npm = (args, cwd, env = {}) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

    // What `npm pack` takes from the checkout, and the build.
    const pkg = path.join(tmp, 'pkg');
    const [listing] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root));
    for (const { path: file } of listing.files) {
      fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(pkg, file));
    }
    assert.ok(!listing.files.some((f) => f.path.startsWith('build/') || f.path.startsWith('test/')), 'no build output or tests');
    fs.mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
    fs.copyFileSync(path.join(root, 'scripts', 'prebuild.js'), path.join(pkg, 'scripts', 'prebuild.js'));
    fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(built, path.join(pkg, 'build', 'Release', 'threadmap.node'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], pkg, { THREADMAP_PREBUILD_NO_COMPILE: '1' }));
    const prebuilt = `prebuilds/${prebuildTag()}/node-abi${process.versions.modules}.node`;
    assert.ok(packed.files.some((f) => f.path === prebuilt), `the tarball holds ${prebuilt}`);
    assert.ok(!fs.existsSync(path.join(pkg, 'prebuilds')), 'postpack removed the staged copy');
    const tarball = path.join(tmp, packed.filename);

    const app = (name) => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
      return dir;
    };
    // Install scripts off: no build/, and the map works across a worker.
    const quiet = app('no-scripts');
    npm(['install', '--ignore-scripts', '--prefer-offline', tarball], quiet);
    assert.ok(!fs.existsSync(path.join(quiet, 'node_modules', 'threadmap', 'build')));
    const shared = `
      const { DashMap } = require('threadmap');
      const { Worker } = require('node:worker_threads');
      const m = new DashMap();
      const w = new Worker("const { DashMap } = require('threadmap'); const { workerData } = require('node:worker_threads');" +
        "const m = DashMap.from(workerData); for (let i = 0; i < 1000; i++) m.add('n');", { eval: true, workerData: m.handle });
      w.on('exit', (code) => console.log(JSON.stringify({ code, n: m.get('n') })));`;
    const run = execFileSync(process.execPath, ['-e', shared], { cwd: quiet, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(run), { code: 0, n: 1000 });

    // Install scripts on: the install script takes the prebuilt addon.
    const loud = app('with-scripts');
    const out = npm(['install', '--foreground-scripts', '--prefer-offline', tarball], loud);
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
