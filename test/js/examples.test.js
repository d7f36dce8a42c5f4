'use strict';
// Smoke test of examples/: runs every example through its driver
// (`npm run example -- NAME`, i.e. scripts/example.js) as a child process and
// checks that it exits 0 within the time limit. Each example checks its own
// result and exits non-zero when it is wrong, so this also checks the results.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { list } = require('../../scripts/example.js');

const DRIVER = path.join(__dirname, '..', '..', 'scripts', 'example.js');
const TIMEOUT_MS = 30_000;

function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(process.execPath, [DRIVER, name], { timeout: TIMEOUT_MS, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const examples = list();

test('the driver lists the examples and rejects an unknown name', async () => {
  assert.ok(examples.length >= 10, `${examples.length} examples`);
  const r = await run('no-such-example');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown example: no-such-example/);
  for (const e of examples) assert.match(r.stderr, new RegExp(`\\b${e.name}\\b`));
});

for (const { name } of examples) {
  test(`example ${name} runs and passes its own check`, async (t) => {
    const r = await run(name);
    t.diagnostic(`${name}: ${r.ms} ms`);
    assert.equal(r.code, 0, `${name} exited with ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  });
}
