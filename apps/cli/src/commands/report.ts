/**
 * `atkd report <run dir>`: renders the plots of a run (the paper's Figure 1, the temperature
 * distribution, accuracy and loss) headless to SVG with vega-lite + vega, and prints the summary;
 * `--html` also writes one self-contained interactive page of one or several runs (`reportPage` of @atkd/web).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPORT_HTML, reportPage } from '@atkd/web';
import { formatFlags, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { plotSpecs, writePlots } from '../lib/plots.js';
import type { MetricRecord } from '@atkd/runner';
import { CONFIG_JSON, METRICS_JSONL, SUMMARY_JSON, readMetrics } from '../lib/run-dir.js';
import { readJson, writeFileAtomicSync } from '@atkd/fs';
import type { RunConfig } from '../lib/config.js';
import type { RunSummary } from '../lib/training.js';
import { formatSummary } from './run.js';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: { short: 'o', description: 'where to write the plots and report.html (default <run dir>/plots)', placeholder: 'DIR' },
  html: { value: false, description: 'also write report.html: one self-contained interactive page (several run dirs: side by side)' },
  json: { value: false, description: 'print the written files and the summary as JSON on stdout' },
  help: { short: 'h', value: false, description: 'show this help' },
};

interface LoadedRun {
  dir: string;
  title: string;
  records: MetricRecord[];
  config: RunConfig | null;
  summary: RunSummary | null;
}

function loadRun(dir: string): LoadedRun {
  if (!existsSync(join(dir, METRICS_JSONL))) throw new Error(`atkd report: ${dir} is not a run directory (no ${METRICS_JSONL})`);
  const records = readMetrics(join(dir, METRICS_JSONL));
  if (records.length === 0) throw new Error(`atkd report: ${join(dir, METRICS_JSONL)} holds no records`);
  const config = existsSync(join(dir, CONFIG_JSON)) ? readJson<RunConfig>(join(dir, CONFIG_JSON), 'run config') : null;
  const title = config ? `${config.command} ${config.student}${config.strategy ? ` (${config.strategy})` : ''}` : dir;
  const summary = existsSync(join(dir, SUMMARY_JSON)) ? readJson<RunSummary>(join(dir, SUMMARY_JSON), 'summary') : null;
  return { dir, title, records, config, summary };
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'plots of a run directory (Figure 1: KD loss and correlation; temperatures; accuracy) as SVG; --html: one interactive page',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd report');
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd report <run dir> [--out DIR] [--html] [--json]\n       atkd report <run dir> <run dir>... --html --out DIR\n\nWrites figure1.svg (KD loss and teacher/student correlation per epoch), temperature.svg,\naccuracy.svg and loss.svg (vega-lite specs next to them as *.vl.json). --html also writes ${REPORT_HTML}:\none self-contained, interactive page (config, summary, teacher and student accuracy, every plot;\nno network needed); several run directories go side by side on one page (in DIR; their SVGs in\n<run dir>/plots).\n\nFlags:\n${formatFlags(FLAGS)}\n`);
      return 0;
    }
    const html = args.flags.has('html');
    const out = stringFlag(args, 'out');
    if (args.positionals.length === 0) throw new UsageError('atkd report: give a run directory');
    if (args.positionals.length > 1 && !html) throw new UsageError('atkd report: several run directories go with --html (one page, side by side)');
    if (args.positionals.length > 1 && out === undefined) throw new UsageError('atkd report: several run directories: say where the page goes with --out DIR');
    const runs = args.positionals.map(loadRun);
    const plots: string[] = [];
    for (const r of runs) plots.push(...(await writePlots(r.records, runs.length === 1 && out !== undefined ? out : join(r.dir, 'plots'), r.title)));
    let page: string | null = null;
    if (html) {
      const dir = out ?? join(runs[0].dir, 'plots');
      mkdirSync(dir, { recursive: true });
      page = join(dir, REPORT_HTML);
      const data = runs.map((r) => ({ dir: resolve(r.dir), title: r.title, config: r.config as unknown as Record<string, unknown> | null, summary: r.summary as unknown as Record<string, unknown> | null, plots: plotSpecs(r.records, r.title).map((p) => ({ name: p.name, spec: p.spec as unknown as Record<string, unknown> })) }));
      writeFileAtomicSync(page, reportPage(data));
    }
    const summaries = runs.map((r) => r.summary);
    if (args.flags.has('json')) io.stdout.write(`${JSON.stringify({ plots, ...(page !== null ? { html: page } : {}), summary: summaries[0], ...(runs.length > 1 ? { summaries } : {}) })}\n`);
    else io.stdout.write(`${[...plots, ...(page !== null ? [page] : [])].map((w) => `wrote ${w}`).join('\n')}\n${runs.map((r) => (r.summary ? `${formatSummary(r.summary)}\n` : '')).join('')}`);
    return 0;
  },
};
