/**
 * `atkd models`: the model zoo with parameters and MACs / FLOPs per 32x32 image (from `@atkd/models`'
 * architecture graphs; equal to PyTorch's counts).
 */
import { listModels, type ModelInfo } from '@atkd/models';
import { formatFlags, intFlag, parseArgs, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  classes: { description: 'output classes (default 100)', placeholder: 'N' },
  json: { value: false, description: 'print a JSON array on stdout' },
  help: { short: 'h', value: false, description: 'show this help' },
};

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** The table of `atkd models`. */
export function formatModels(models: readonly ModelInfo[]): string {
  const rows = [['model', 'family', 'params', 'MACs', 'FLOPs (2 x MACs)'], ...models.map((m) => [m.name, m.family, human(m.params), human(m.macs), human(2 * m.macs)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the model zoo with parameters and MACs / FLOPs',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd models');
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd models [--classes N] [--json]\n\nThe CIFAR model zoo (@atkd/models): trainable parameters, and multiply-accumulates of conv + linear\nlayers for one 32x32 image (FLOPs ~= 2 x MACs).\n\nFlags:\n${formatFlags(FLAGS)}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`atkd models: unexpected argument ${JSON.stringify(args.positionals[0])}`);
    const classes = intFlag(args, 'classes', 'atkd models', 2, 100000) ?? 100;
    const models = listModels({ classes });
    io.stdout.write(args.flags.has('json') ? `${JSON.stringify(models.map((m) => ({ ...m, flops: 2 * m.macs })))}\n` : `${formatModels(models)}\n`);
    return 0;
  },
};
