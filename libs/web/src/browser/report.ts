/**
 * Entry of `atkd-report.js` (an IIFE inlined into every report page): vega, vega-lite and vega-embed,
 * and the renderer of a run report. The page carries its data as JSON (`<script type="application/json"
 * id="atkd-report-data">`, written by `reportPage` of @atkd/web): per run its title, config, summary and
 * the Vega-Lite specs of its plots. Each plot is embedded as SVG with tooltips and x zoom / pan (drag,
 * wheel; double-click resets); several runs sit side by side, one column each. Nothing is fetched.
 * State for tests: `window.atkdReport.rendered` resolves to one entry per plot.
 */
import embedModule from 'vega-embed';
import * as vegaLite from 'vega-lite';
import type { ReportData, ReportRun } from '../report-data.js';

type Spec = Record<string, unknown>;

// vega-embed's types are CommonJS-shaped (the default import reads as the module); the bundle gets the function
const embed = embedModule as unknown as typeof embedModule.default;

interface Rendered {
  run: number;
  plot: string;
  ok: boolean;
  error?: string;
}

/** Vega-Lite spec of a plot, made interactive: tooltips on every mark, zoom / pan along x. */
function interactive(spec: Spec, id: string): Spec {
  const s: Spec = { ...spec, $schema: `https://vega.github.io/schema/vega-lite/v${vegaLite.version.split('.')[0]}.json` };
  s.config = { ...(s.config as Spec | undefined), mark: { tooltip: true } };
  let n = 0;
  const zoom = (unit: Spec): Spec => {
    const enc = unit.encoding as Record<string, Spec> | undefined;
    if (enc?.x?.type !== 'quantitative' || enc.x.bin !== undefined) return unit;
    return { ...unit, params: [...((unit.params as Spec[] | undefined) ?? []), { name: `${id}_zoom${n++}`, select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }] };
  };
  const visit = (v: Spec): Spec => {
    if (Array.isArray(v.vconcat)) return { ...v, vconcat: (v.vconcat as Spec[]).map(visit) };
    if (Array.isArray(v.hconcat)) return { ...v, hconcat: (v.hconcat as Spec[]).map(visit) };
    if (Array.isArray(v.layer)) {
      // the zoom goes on the first layer; shared x encodings sit on the layer spec itself
      const [first, ...rest] = v.layer as Spec[];
      const shared = v.encoding as Spec | undefined;
      const zoomed = zoom({ ...first, encoding: { ...shared, ...(first.encoding as Spec | undefined) } });
      return zoomed.params === undefined ? v : { ...v, layer: [{ ...first, params: zoomed.params }, ...rest] };
    }
    return zoom(v);
  };
  return visit(s);
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '–');
const num = (v: unknown, d = 3) => (typeof v === 'number' ? v.toFixed(d) : '–');

/** The headline of a run: teacher and student accuracy, temperature, throughput, status. */
function headline(run: ReportRun): HTMLElement {
  const s = (run.summary ?? {}) as Record<string, Record<string, unknown> | unknown>;
  const t = s.teacher as Record<string, unknown> | null | undefined;
  const st = s.student as Record<string, unknown> | null | undefined;
  const temp = s.temperature as Record<string, unknown> | null | undefined;
  const thr = s.throughput as Record<string, unknown> | null | undefined;
  const rows: Array<[string, string]> = [];
  if (t) rows.push([`teacher ${String(t.model ?? '')}`, `top-1 ${pct(t.top1)}  top-5 ${pct(t.top5)}  (${String(t.count ?? '?')} images)`]);
  if (st) rows.push([`student ${String(st.model ?? '')}`, `top-1 ${pct(st.top1)}  top-5 ${pct(st.top5)}  best top-1 ${pct(st.bestTop1)} (epoch ${typeof st.bestEpoch === 'number' ? st.bestEpoch + 1 : '?'})`]);
  if (temp) rows.push(['temperature', `mean ${num(temp.mean)}  min ${num(temp.min)}  max ${num(temp.max)}`]);
  if (thr) rows.push(['throughput', `${num(thr.imgPerSec, 1)} img/s on ${String(s.backend ?? '?')}`]);
  if (s.status !== undefined) rows.push(['status', `${String(s.status)}: ${String(s.epochsDone ?? '?')} / ${String(s.epochs ?? '?')} epochs, ${String(s.steps ?? '?')} steps`]);
  if (rows.length === 0) return el('p', 'missing', 'no summary.json (the run has not finished an epoch)');
  return table(rows, 'headline');
}

function table(rows: Array<[string, string]>, className: string): HTMLElement {
  const t = el('table', className);
  for (const [k, v] of rows) {
    const tr = el('tr', '');
    tr.append(el('th', '', k), el('td', '', v));
    t.append(tr);
  }
  return t;
}

function configTable(run: ReportRun): HTMLElement {
  if (run.config === null) return el('p', 'missing', 'no config.json');
  const d = el('details', 'config');
  d.append(el('summary', '', 'configuration'), table(Object.entries(run.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), 'config'));
  return d;
}

async function render(data: ReportData): Promise<Rendered[]> {
  const root = document.getElementById('report');
  if (root === null) throw new Error('the report page has no #report');
  root.style.setProperty('--runs', String(data.runs.length));
  const row = (title: string, cell: (run: ReportRun, i: number) => HTMLElement) => {
    const section = el('section', 'row');
    section.append(el('h2', '', title));
    const grid = el('div', 'grid');
    data.runs.forEach((r, i) => grid.append(cell(r, i)));
    section.append(grid);
    root.append(section);
  };
  row('Runs', (r) => {
    const c = el('div', 'cell');
    c.append(el('h3', '', r.title), el('p', 'dir', r.dir), headline(r), configTable(r));
    return c;
  });
  const names: string[] = [];
  for (const r of data.runs) for (const p of r.plots) if (!names.includes(p.name)) names.push(p.name);
  const jobs: Array<Promise<Rendered>> = [];
  for (const name of names) {
    row(data.plotTitles[name] ?? name, (r, i) => {
      const c = el('div', 'cell plot');
      const p = r.plots.find((q) => q.name === name);
      if (p === undefined) {
        c.append(el('p', 'missing', `no ${name} plot for this run`));
        return c;
      }
      const target = el('div', 'vega');
      target.dataset.plot = name;
      c.append(target);
      jobs.push(
        embed(target, interactive(p.spec, `r${i}_${name}`) as never, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } }).then(
          () => ({ run: i, plot: name, ok: true }),
          (e: unknown) => {
            target.append(el('p', 'error', `cannot render ${name}: ${(e as Error).message}`));
            console.error(`atkd report: run ${i} (${r.title}) plot ${name}: ${(e as Error).message}`);
            return { run: i, plot: name, ok: false, error: (e as Error).message };
          },
        ),
      );
      return c;
    });
  }
  return Promise.all(jobs);
}

function start(): { rendered: Promise<Rendered[]> } {
  const node = document.getElementById('atkd-report-data');
  if (node === null || node.textContent === null) throw new Error('the report page has no #atkd-report-data');
  const data = JSON.parse(node.textContent) as ReportData;
  return { rendered: render(data) };
}

(window as unknown as { atkdReport: { rendered: Promise<Rendered[]> } }).atkdReport = start();
