/**
 * `atkd distill` and `atkd train`: a training run from a config file, presets and flags, written to a
 * run directory (see src/lib/run-dir.ts), resumable with `--resume <dir>`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatFlags, parseArgs, renamed, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { ConfigError, configFlags, presets, flagValues, readConfigFile, resolveConfig, type RunConfig } from '../lib/config.js';
import { embeddedDefaults, selfCommand } from '../lib/defaults.js';
import { writePlots } from '../lib/plots.js';
import { readMetrics, METRICS_JSONL } from '../lib/run-dir.js';
import { checkResumeConfig, readRunConfig, runTraining, type RunSummary } from '../lib/training.js';
import { parseSourceUrl, redactUrl } from '../lib/nats.js';

const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: { short: 'c', description: 'config file (.json, .yaml, .yml); flags override it', placeholder: 'FILE' },
  out: { short: 'o', description: 'run directory (default runs/<command>-<date>-<time>, with -2, -3 ... when taken)', placeholder: 'DIR' },
  resume: { description: 'continue the run in DIR from its checkpoint `latest` (config from DIR/config.json)', placeholder: 'DIR' },
  'no-plots': { value: false, description: 'do not render the plots at the end' },
  quiet: { short: 'q', value: false, description: 'no progress bar or notes on stderr' },
  verbose: { value: false, description: "the engine's full selection report (skipped engines, kernels) instead of one line" },
  json: { value: false, description: 'print the summary as JSON on stdout (nothing else on stdout)' },
  'nats-creds': { description: 'with --source: NATS credentials file', placeholder: 'FILE' },
  'tls-ca': { description: 'with --source: CA certificate (PEM) of the NATS server (turns TLS on)', placeholder: 'FILE' },
  help: { short: 'h', value: false, description: 'show this help' },
  'teacher-model': renamed('--teacher-arch NAME'),
};

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * The default run directory, runs/<command>-<date>-<time>; a second run started within the same
 * second (or one that failed after creating its directory) gets the next free suffix -2, -3, ...
 */
export function defaultRunDir(command: string, root = 'runs'): string {
  const base = join(root, `${command}-${stamp()}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** The human-readable summary printed at the end of a run. */
export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  if (s.teacher) lines.push(`teacher  ${String(s.teacher.model ?? s.teacher.path).padEnd(10)} top-1 ${pct(s.teacher.top1)}  top-5 ${pct(s.teacher.top5)}  (${s.teacher.count} test images)`);
  if (s.student) {
    lines.push(`${s.command === 'distill' ? 'student' : 'model  '}  ${s.student.model.padEnd(10)} top-1 ${pct(s.student.top1)}  top-5 ${pct(s.student.top5)}  (best top-1 ${pct(s.student.bestTop1)} at epoch ${s.student.bestEpoch + 1})`);
  }
  if (s.temperature) lines.push(`mean temperature ${s.temperature.mean.toFixed(3)}  (last epoch; min ${s.temperature.min.toFixed(3)}, max ${s.temperature.max.toFixed(3)})`);
  lines.push(`throughput ${s.throughput.imgPerSec.toFixed(1)} img/s  (${s.throughput.images} images in ${s.throughput.seconds.toFixed(1)} s of ${s.command === 'distill' ? 'distillation' : 'training'} steps, backend ${s.backend}${s.backend === 'wasm' ? `, ${s.backendThreads} XNNPACK thread${s.backendThreads === 1 ? '' : 's'}` : ''})`);
  lines.push(`${s.status === 'completed' ? 'completed' : 'interrupted'}: epoch ${s.epochsDone}/${s.epochs}, ${s.steps} steps; run directory ${s.runDir}`);
  if (s.resumeCommand) lines.push(`resume with: ${s.resumeCommand}`);
  return lines.join('\n');
}

function help(command: 'distill' | 'train'): string {
  const d = embeddedDefaults();
  const intro =
    command === 'distill'
      ? [
          'Usage: atkd distill [--config FILE] [--preset NAMES] [flags]',
          '',
          'Distills a student from a teacher; writes a run directory (config.json, metrics.jsonl, checkpoints',
          'latest and best, summary.json, plots/). Ctrl-C writes a checkpoint; --resume DIR continues it.',
          `Defaults: teacher ${d.teacher} (${d.teacherArch}), student resnet8, the embedded sample, method atkd, preset quick.`,
          '',
          'Method presets:',
          ...Object.entries(presets().methods).map(([k, v]) => `  ${k.padEnd(12)} ${v.description}`),
        ]
      : ['Usage: atkd train [--config FILE] [--preset NAMES] [flags]', '', 'Trains a model with cross-entropy only (teachers, no-KD baselines); same run directory as distill.'];
  return [
    ...intro,
    '',
    'Schedule presets:',
    ...Object.entries(presets().schedules).map(([k, v]) => `  ${k.padEnd(12)} ${v.description}`),
    '',
    'Config keys (file: camelCase keys; flags: --kebab-case):',
    formatFlags(configFlags(command)),
    '',
    'Flags:',
    formatFlags(RUN_FLAGS),
  ].join('\n');
}

async function run(command: 'distill' | 'train', argv: readonly string[], io: CommandIO): Promise<number> {
  const specs = { ...configFlags(command), ...RUN_FLAGS };
  const args = parseArgs(argv, specs, `atkd ${command}`);
  if (args.flags.has('help')) {
    io.stdout.write(`${help(command)}\n`);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`atkd ${command}: unexpected argument ${JSON.stringify(args.positionals[0])} (config files go after --config)`);
  const quiet = args.flags.has('quiet') || args.flags.has('json');
  const json = args.flags.has('json');
  const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const out = { quiet, verbose: args.flags.has('verbose'), stderr, info: (line: string) => (quiet ? undefined : void stderr.write(`${line}\n`)) };

  const resumeDir = stringFlag(args, 'resume');
  const file = stringFlag(args, 'config');
  let config: RunConfig;
  let runDir: string;
  let sourceUrl: string | null;
  try {
    const flags = flagValues(command, args);
    if (resumeDir !== undefined) {
      if (args.flags.has('out')) throw new ConfigError('--resume DIR continues the run in DIR; --out cannot be given with it');
      if (!existsSync(join(resumeDir, 'config.json'))) throw new ConfigError(`--resume ${resumeDir}: no run there (no config.json)`);
      const saved = readRunConfig(resumeDir);
      if (saved.command !== command) throw new ConfigError(`--resume ${resumeDir}: that run is an \`atkd ${saved.command}\` run`);
      const changed = [...Object.keys(flags), ...(file !== undefined ? Object.keys(readConfigFile(file)) : [])];
      const wanted = resolveConfig({ command, file, flags: { ...flags, ...(flags.student === undefined ? { student: saved.student } : {}) }, defaults: { teacher: saved.teacher, teacherArch: saved.teacherArch, train: saved.train, test: saved.test } });
      // the source URL is kept without its credentials: a resumed run gets them from --source again
      sourceUrl = wanted.source ?? saved.source;
      if (wanted.source !== null) wanted.source = redactUrl(wanted.source);
      config = checkResumeConfig(saved, wanted, changed, resumeDir);
      runDir = resumeDir;
    } else {
      config = resolveConfig({ command, file, flags, defaults: embeddedDefaults() });
      sourceUrl = config.source;
      if (config.source !== null) config.source = redactUrl(config.source);
      runDir = stringFlag(args, 'out') ?? defaultRunDir(command);
    }
    if (sourceUrl !== null && sourceUrl.includes('***@')) throw new ConfigError(`--resume ${resumeDir}: the run reads ${sourceUrl}; give --source again with its credentials`);
    if (command === 'distill' && config.source === null && config.teacher !== null && !existsSync(config.teacher)) {
      throw new ConfigError(`teacher ${config.teacher} does not exist${config.teacher === embeddedDefaults().teacher ? ' (the embedded teacher is missing from this checkout: pass --teacher <file.pth | model dir>)' : ''}`);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`atkd ${command}: ${error.message}`);
    throw error;
  }

  // with --source the teacher's logits come in the stream (no teacher is loaded): name the stream
  const teacherPart = config.source !== null ? `teacher logits from ${config.source}` : `teacher ${config.teacher} (${config.teacherArch ?? 'TF.js'})`;
  out.info(`atkd ${command}: ${config.command === 'distill' ? `${teacherPart} -> student ${config.student}, strategy ${config.strategy}` : `model ${config.student}`}, presets ${config.presets.join(', ')}, ${config.epochs} epochs, batch ${config.batchSize}, lr ${config.lr}; run directory ${runDir}`);
  const source = sourceUrl === null ? undefined : { ...parseSourceUrl(sourceUrl), credsFile: stringFlag(args, 'nats-creds'), tlsCaFile: stringFlag(args, 'tls-ca') };
  const summary = await runTraining({ config, runDir, resume: resumeDir !== undefined, out, resumeCommand: `${selfCommand()} ${command} --resume ${runDir}${config.source !== null && config.source.includes('***@') ? ` --source ${config.source.replace('***@', 'USER:PASS@')}` : ''}`, source });

  if (!args.flags.has('no-plots')) {
    try {
      const records = readMetrics(join(summary.runDir, METRICS_JSONL));
      const written = await writePlots(records, join(summary.runDir, 'plots'), `${command} ${config.student}${config.strategy ? ` (${config.strategy})` : ''}`);
      out.info(`plots: ${written.join(', ')}`);
    } catch (error) {
      stderr.write(`atkd ${command}: warning: plots not rendered: ${(error as Error).message}\n`);
    }
  }
  io.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  return summary.status === 'completed' ? 0 : 130;
}

export const distillCommand: Command = {
  name: 'distill',
  summary: 'distill a student from a teacher (presets kd, ls, ctkd, dtkd, atkd, atkd-paired; paper schedule)',
  run: (argv, io) => run('distill', argv, io),
};

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model with cross-entropy only (teachers, no-KD baselines)',
  run: (argv, io) => run('train', argv, io),
};
