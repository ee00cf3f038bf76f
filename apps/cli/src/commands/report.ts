/**
 * `atkd report <run dir>`: renders the plots of a run (the paper's Figure 1, the temperature
 * distribution, accuracy and loss) headless to SVG with vega-lite + vega, and prints the summary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatFlags, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { writePlots } from '../lib/plots.js';
import { CONFIG_JSON, METRICS_JSONL, SUMMARY_JSON, readJson, readMetrics } from '../lib/run-dir.js';
import type { RunConfig } from '../lib/config.js';
import type { RunSummary } from '../lib/training.js';
import { formatSummary } from './run.js';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: { short: 'o', description: 'where to write the plots (default <run dir>/plots)', placeholder: 'DIR' },
  json: { value: false, description: 'print the written files and the summary as JSON on stdout' },
  help: { short: 'h', value: false, description: 'show this help' },
};

export const reportCommand: Command = {
  name: 'report',
  summary: 'plots of a run directory (Figure 1: KD loss and correlation; temperatures; accuracy) as SVG',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd report');
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd report <run dir> [--out DIR] [--json]\n\nWrites figure1.svg (KD loss and teacher/student correlation per epoch), temperature.svg,\naccuracy.svg and loss.svg (vega-lite specs next to them as *.vl.json).\n\nFlags:\n${formatFlags(FLAGS)}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError('atkd report: give one run directory');
    const dir = args.positionals[0];
    if (!existsSync(join(dir, METRICS_JSONL))) throw new Error(`atkd report: ${dir} is not a run directory (no ${METRICS_JSONL})`);
    const records = readMetrics(join(dir, METRICS_JSONL));
    if (records.length === 0) throw new Error(`atkd report: ${join(dir, METRICS_JSONL)} holds no records`);
    const config = existsSync(join(dir, CONFIG_JSON)) ? readJson<RunConfig>(join(dir, CONFIG_JSON), 'run config') : null;
    const title = config ? `${config.command} ${config.student}${config.strategy ? ` (${config.strategy})` : ''}` : dir;
    const written = await writePlots(records, stringFlag(args, 'out') ?? join(dir, 'plots'), title);
    const summary = existsSync(join(dir, SUMMARY_JSON)) ? readJson<RunSummary>(join(dir, SUMMARY_JSON), 'summary') : null;
    if (args.flags.has('json')) io.stdout.write(`${JSON.stringify({ plots: written, summary })}\n`);
    else io.stdout.write(`${written.map((w) => `wrote ${w}`).join('\n')}\n${summary ? `${formatSummary(summary)}\n` : ''}`);
    return 0;
  },
};
