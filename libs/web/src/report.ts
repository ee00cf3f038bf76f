/**
 * The run report as one self-contained HTML page (`atkd report RUN_DIR... --html`): the runs' data as
 * JSON and the renderer `atkd-report.js` (vega + vega-lite + vega-embed, bundled) inlined, so the file
 * opens anywhere, offline, from file:// too. Several runs sit side by side.
 */
import { browserFile } from './assets.js';
import type { ReportData, ReportRun } from './report-data.js';

export const REPORT_HTML = 'report.html';

const PLOT_TITLES: Record<string, string> = {
  figure1: 'Figure 1: KD loss and teacher/student logit correlation per epoch',
  temperature: 'Temperatures: histogram (last epoch) and min / mean / max per epoch',
  accuracy: 'Accuracy per epoch',
  loss: 'Training loss per step',
};

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #222; background: #fafafa; }
body { margin: 1.2rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { margin: 0 0 .2rem; font-size: 1rem; }
.grid { display: grid; grid-template-columns: repeat(var(--runs, 1), minmax(0, 1fr)); gap: 1rem; }
.cell { background: #fff; border: 1px solid #ddd; border-radius: .5rem; padding: .7rem; overflow-x: auto; }
.dir { color: #666; font-size: .8rem; margin: 0 0 .4rem; word-break: break-all; }
table { border-collapse: collapse; font-size: .88rem; }
th { text-align: left; padding: .1rem .8rem .1rem 0; color: #555; font-weight: 500; white-space: nowrap; vertical-align: top; }
td { padding: .1rem 0; font-variant-numeric: tabular-nums; white-space: pre-wrap; word-break: break-word; }
.headline td { font-weight: 600; }
details.config { margin-top: .5rem; }
.missing { color: #888; font-style: italic; }
.error { color: #b00; }
footer { color: #888; font-size: .8rem; margin-top: 1.5rem; }
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** JSON that can sit inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The HTML of a report page for `runs` (one or more, side by side). */
export function reportPage(runs: readonly ReportRun[], now = new Date()): string {
  if (runs.length === 0) throw new Error('reportPage: no run');
  const data: ReportData = { format: 'atkd-report/1', generatedAt: now.toISOString(), runs: [...runs], plotTitles: PLOT_TITLES };
  const title = runs.length === 1 ? runs[0].title : `${runs.length} runs: ${runs.map((r) => r.title).join(' | ')}`;
  const script = browserFile('atkd-report.js').toString('utf8').replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atkd report: ${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<h1>atkd report</h1>
<p>${escapeHtml(title)}</p>
<main id="report"></main>
<footer>Written by atkd report --html at ${escapeHtml(data.generatedAt)}. Self-contained: the plots are drawn here by vega-embed (bundled); drag or scroll on a plot to zoom along x, double-click to reset; the … menu saves SVG / PNG.</footer>
<script type="application/json" id="atkd-report-data">${scriptJson(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
