'use strict';
// The comparison benchmark's chart renderer (bench/js/compare/chart.js) turns
// a tiny results fixture into an SVG: vega-lite compiles, vega renders
// headless. The benchmark itself is not run here (it takes minutes).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chartRows, renderSvg, renderFile } = require('../../bench/js/compare/chart.js');

const fixture = {
  env: { date: '2026-01-01T00:00:00.000Z', node: '20.0.0', cpus: 2 },
  config: { workers: 2 },
  workloads: { add: 'counter +1, 10 keys' },
  sharing: [
    { workload: 'add', kind: 'threadmap', label: 'threadmap DashMap', opsPerSec: 5e6, counterCheck: { ok: true } },
    { workload: 'add', kind: 'alternative', label: 'postMessage owner', opsPerSec: 1e5, counterCheck: { ok: false } },
  ],
  single: [
    { title: 'LRU hits', engineLabel: 'LruLockMap.get', alternativeLabel: 'lru-cache get', engineNs: 100, alternativeNs: 50 },
  ],
};

test('chartRows: one bar per contender, single-thread ns/op as ops/s, wrong totals flagged', () => {
  const rows = chartRows(fixture);
  assert.deepEqual(rows.map((r) => r.label), ['threadmap DashMap', 'postMessage owner (WRONG TOTAL)', 'LruLockMap.get', 'lru-cache get']);
  assert.equal(rows[2].opsPerSec, 1e7);
  assert.equal(rows[0].section, '2 workers share: counter +1, 10 keys');
});

test('renderSvg: the fixture becomes an SVG with its sections, labels and figures', async () => {
  const svg = await renderSvg(fixture);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  for (const text of ['2 workers share: counter +1, 10 keys', '1 thread: LRU hits', 'threadmap DashMap', 'lru-cache get', '5.00M', '100k']) {
    assert.ok(svg.includes(text), `missing ${text}`);
  }
  // one bar per row: bars are <path> marks with the two kinds' colours
  assert.equal((svg.match(/fill="#2f6fb3"/g) || []).length >= 2, true);
});

test('renderFile: reads results JSON, writes the SVG file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadmap-chart-'));
  try {
    const json = path.join(dir, 'compare.json');
    fs.writeFileSync(json, JSON.stringify(fixture));
    const out = await renderFile(json, path.join(dir, 'img', 'compare.svg'));
    assert.match(fs.readFileSync(out, 'utf8'), /^<svg/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
