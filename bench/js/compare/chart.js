'use strict';
// Renders the comparison results (bench/results/compare.json) as an SVG bar
// chart: a vega-lite spec compiled to vega, rendered headless by vega's
// View.toSVG() (no canvas, no browser).
//   node bench/js/compare/chart.js [results.json] [out.svg]
// run.js calls renderFile() after each run; the README shows the SVG.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./common');

const COLORS = { threadmap: '#2f6fb3', alternative: '#b0b0b0' };

function fmt(x) {
  if (x >= 1e6) return (x / 1e6).toFixed(2) + 'M';
  if (x >= 1e3) return (x / 1e3).toFixed(0) + 'k';
  return x.toFixed(0);
}

// One bar per contender: ops/s, grouped by comparison, in the results' order.
function chartRows(res) {
  const rows = [];
  const workers = res.config?.workers ?? 2;
  for (const r of res.sharing || []) {
    const wrong = r.counterCheck && !r.counterCheck.ok;
    rows.push({
      section: `${workers} workers share: ${res.workloads?.[r.workload] ?? r.workload}`,
      label: r.label + (wrong ? ' (WRONG TOTAL)' : ''),
      kind: r.kind,
      opsPerSec: r.opsPerSec,
    });
  }
  for (const s of res.single || []) {
    const section = `1 thread: ${s.title}`;
    rows.push({ section, label: s.engineLabel, kind: 'threadmap', opsPerSec: 1e9 / s.engineNs });
    rows.push({ section, label: s.alternativeLabel, kind: 'alternative', opsPerSec: 1e9 / s.alternativeNs });
  }
  return rows.map((r, order) => ({ ...r, order, text: fmt(r.opsPerSec) }));
}

function decades(lo, hi) {
  const out = [];
  for (let v = lo; v <= hi; v *= 10) out.push(v);
  return out;
}

function spec(res) {
  const values = chartRows(res);
  const sections = [...new Set(values.map((v) => v.section))];
  const env = res.env || {};
  const y = { field: 'label', type: 'nominal', sort: null, title: null };
  // Log bars need a floor to start from: the decade below the smallest figure.
  const ops = values.map((v) => v.opsPerSec).filter((v) => v > 0);
  const floor = 10 ** Math.floor(Math.log10(Math.min(...ops, 1e6)));
  const top = 10 ** Math.ceil(Math.log10(Math.max(...ops, 10)) + 0.3);
  const x = { field: 'opsPerSec', type: 'quantitative', scale: { type: 'log', domain: [floor, top] }, title: 'operations per second (log scale; longer is better)',
    axis: { values: decades(floor, top), format: '~s' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'threadmap against what Node users use today',
      subtitle: `${env.date ? env.date.slice(0, 16).replace('T', ' ') + 'Z · ' : ''}${env.cpus ?? '?'} cores · node ${env.node ?? '?'}${env.quick ? ' · --quick' : ''} · bench/js/compare/run.js`,
      anchor: 'start',
    },
    data: { values },
    facet: {
      row: {
        field: 'section', type: 'nominal', sort: sections, title: null,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold', labelFontSize: 12, labelLimit: 700 },
      },
    },
    spec: {
      width: 360,
      encoding: { y, x },
      layer: [
        { mark: { type: 'bar', height: { band: 0.8 } }, encoding: { x2: { datum: floor }, color: { field: 'kind', type: 'nominal', scale: { domain: Object.keys(COLORS), range: Object.values(COLORS) }, legend: { title: null, orient: 'top' } } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'text' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: null }, axis: { labelLimit: 460 } },
  };
}

async function renderSvg(res) {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  // vega-lite warns that the facets' independent y scales may come from
  // different data; here they come from one data source, so that warning
  // alone is dropped (others still print).
  const base = vega.logger(vega.Warn);
  const logger = { ...base, warn: (...a) => (/faceted independent scales/.test(String(a[0])) ? logger : (base.warn(...a), logger)) };
  const compiled = vl.compile(spec(res), { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function renderFile(jsonPath, svgPath) {
  const svg = await renderSvg(JSON.parse(fs.readFileSync(jsonPath, 'utf8')));
  fs.mkdirSync(path.dirname(svgPath), { recursive: true });
  fs.writeFileSync(svgPath, svg + '\n');
  return svgPath;
}

module.exports = { chartRows, spec, renderSvg, renderFile };

if (require.main === module) {
  const [jsonPath = path.join(ROOT, 'bench', 'results', 'compare.json'), svgPath = path.join(ROOT, 'docs', 'img', 'compare.svg')] = process.argv.slice(2);
  renderFile(jsonPath, svgPath).then((p) => process.stderr.write(`wrote ${p}\n`), (err) => { console.error(err); process.exit(1); });
}
