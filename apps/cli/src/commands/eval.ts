/**
 * `atkd eval`: top-1 / top-5 accuracy and mean cross-entropy of a model on a data file: a TF.js model
 * directory (e.g. a run's checkpoint), a run directory (its `best` checkpoint), or a PyTorch `.pth`
 * (with --arch <architecture>).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, MAX_WASM_THREADS, type BackendChoice } from '@atkd/backend';
import { MODEL_NAMES, loadAnyModel } from '@atkd/models';
import { modelClasses } from '@atkd/teacher';
import { formatFlags, intFlag, parseArgs, renamed, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { openDataFile } from '../lib/batches.js';
import { embeddedDefaults } from '../lib/defaults.js';
import { ProgressBar, epochLength } from '@atkd/data';
import { findCheckpoint } from '@atkd/runner';
import { engineLine } from '../lib/training.js';
import { evaluateFile } from '@atkd/student';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  arch: { short: 'a', description: `architecture of a .pth checkpoint (${MODEL_NAMES.join(', ')})`, placeholder: 'NAME' },
  model: renamed('--arch NAME'),
  data: { short: 'd', description: 'test data (.arrow; default the embedded sample test.arrow)', placeholder: 'FILE' },
  'batch-size': { description: 'images per forward pass (default 200)', placeholder: 'N' },
  limit: { description: 'evaluate only the first N images', placeholder: 'N' },
  backend: { description: 'TF.js engine (default: best available)', placeholder: 'NAME' },
  threads: { description: `threads of the engine (ATen on torch, XNNPACK on wasm), 1..${MAX_WASM_THREADS} (default: ATKD_THREADS, else every core)`, placeholder: 'N' },
  json: { value: false, description: 'print the result as JSON on stdout' },
  quiet: { short: 'q', value: false, description: 'no progress bar' },
  verbose: { value: false, description: "the engine's full selection report instead of one line" },
  help: { short: 'h', value: false, description: 'show this help' },
};

export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1 / top-5 accuracy of a model (TF.js dir, run dir, or .pth) on a data file',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd eval');
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd eval <model dir | run dir | file.pth --arch NAME> [--data FILE] [flags]\n\nFlags:\n${formatFlags(FLAGS)}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError('atkd eval: give one model: a TF.js model directory, a run directory, or a .pth file with --arch NAME');
    let spec = args.positionals[0];
    if (!existsSync(spec)) throw new Error(`atkd eval: ${spec} does not exist`);
    if (existsSync(join(spec, 'config.json')) && !existsSync(join(spec, 'model.json'))) {
      const best = findCheckpoint(spec, 'best');
      const latest = findCheckpoint(spec, 'latest');
      if (best === null && latest === null) throw new Error(`atkd eval: run directory ${spec} has no checkpoint (the run stopped before its first one)`);
      if (best === null) {
        // say so instead of silently evaluating another checkpoint than the run's best
        const named = (JSON.parse(readFileSync(join(latest as string, 'state.json'), 'utf8')) as { best: { epoch: number } | null }).best;
        io.stderr.write(
          named !== null
            ? `atkd eval: warning: ${spec} has no checkpoints/best although latest records a best at epoch ${named.epoch + 1}; evaluating latest (${latest}) instead\n`
            : `atkd eval: note: ${spec} has no best checkpoint yet (no epoch finished); evaluating latest (${latest})\n`,
        );
      }
      spec = (best ?? latest) as string;
    }
    const arch = stringFlag(args, 'arch');
    if (arch !== undefined && !MODEL_NAMES.includes(arch)) throw new UsageError(`atkd eval: flag --arch: unknown model "${arch}" (known: ${MODEL_NAMES.join(', ')})`);
    if (/\.(pth|pt)$/i.test(spec) && arch === undefined) throw new UsageError(`atkd eval: ${spec} is a PyTorch checkpoint: pass --arch <architecture> (known: ${MODEL_NAMES.join(', ')})`);
    const backend = stringFlag(args, 'backend');
    const quiet = args.flags.has('quiet') || args.flags.has('json');
    const batchSize = intFlag(args, 'batch-size', 'atkd eval', 1, 8192) ?? 200;
    const limit = intFlag(args, 'limit', 'atkd eval', 1) ?? null;
    const dataPath = stringFlag(args, 'data') ?? embeddedDefaults().test;
    const threads = intFlag(args, 'threads', 'atkd eval', 1, MAX_WASM_THREADS);
    const info = await initBackend({ prefer: backend as BackendChoice | undefined, threads, log: quiet || !args.flags.has('verbose') ? false : (l) => void io.stderr.write(`${l}\n`) });
    if (!quiet) io.stderr.write(`${engineLine(info)}\n`);
    const file = await openDataFile(dataPath, 'test data');
    try {
      let model;
      try {
        model = await loadAnyModel(spec, { arch, classes: 100 });
      } catch (error) {
        // the loaders' messages name the file already
        const message = (error as Error).message;
        throw new Error(`atkd eval: ${message.startsWith(spec) ? '' : `${spec}: `}${message}`, { cause: error });
      }
      try {
        const classes = modelClasses(model);
        if (classes !== 100) throw new Error(`atkd eval: ${spec} outputs ${classes} classes; CIFAR-100 data has 100`);
        const total = epochLength(file.numRows, { batchSize, ...(limit === null ? {} : { maxRows: limit }) });
        const bar = new ProgressBar('eval', total, { quiet, stream: io.stderr as NodeJS.WritableStream, unit: 'batches', rateUnit: 'img/s' });
        const started = performance.now();
        const r = await evaluateFile(model, file, { batchSize, ...(limit === null ? {} : { maxRows: limit }), onBatch: (d) => bar.update(d, { work: Math.min(d * batchSize, limit ?? file.numRows) }) });
        bar.finish();
        if (r === null) throw new Error('atkd eval: interrupted');
        const seconds = (performance.now() - started) / 1000;
        const result = { model: spec, data: dataPath, count: r.count, top1: r.top1, top5: r.top5, loss: r.loss, imgPerSec: r.count / seconds, backend: info.name };
        io.stdout.write(
          args.flags.has('json')
            ? `${JSON.stringify(result)}\n`
            : `${spec} on ${dataPath}: top-1 ${(100 * r.top1).toFixed(2)}%  top-5 ${(100 * r.top5).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${r.count} images, ${result.imgPerSec.toFixed(1)} img/s, ${info.name})\n`,
        );
        return 0;
      } finally {
        model.dispose();
      }
    } finally {
      await file.close();
    }
  },
};
