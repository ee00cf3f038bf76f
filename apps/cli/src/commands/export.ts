/**
 * `atkd export <run dir | checkpoint> --to DIR [--serve]`: the student as a TF.js layers model with its
 * manifest (class names, input normalisation, architecture) and a static page that classifies images in
 * a browser, offline (`@atkd/web`); `--serve` serves DIR on localhost.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { INPUT_NORMALIZATIONS, INPUT_NORMALIZATION_NAMES, type InputNormalizationName } from '@atkd/data';
import { MODEL_NAMES, listModels, loadAnyModel, saveModel } from '@atkd/models';
import { WEB_MANIFEST, serveDirectory, webManifest, webPageFiles, type WebManifest } from '@atkd/web';
import { formatFlags, intFlag, parseArgs, renamed, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { openDataFile } from '../lib/batches.js';
import type { RunConfig } from '../lib/config.js';
import { embeddedDefaults } from '../lib/defaults.js';
import { STATE_JSON, findCheckpoint, type CheckpointState } from '@atkd/runner';
import { CONFIG_JSON, SUMMARY_JSON } from '../lib/run-dir.js';
import { readJson, writeFileAtomicSync } from '@atkd/fs';
import type { RunSummary } from '../lib/training.js';

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  to: { short: 't', description: 'the export directory (created; may already hold an earlier export)', placeholder: 'DIR' },
  checkpoint: { description: 'which checkpoint of a run directory: best (default) or latest', placeholder: 'NAME' },
  arch: { short: 'a', description: 'architecture, for a TF.js model directory without a checkpoint state or a PyTorch .pth', placeholder: 'NAME' },
  model: renamed('--arch NAME'),
  serve: { value: false, description: 'serve DIR on localhost after exporting (alone: serve an existing export); Ctrl-C stops' },
  port: { description: 'port of --serve (default 8080; 0: any free port)', placeholder: 'N' },
  json: { value: false, description: 'print the export (directory, files, manifest) as JSON on stdout' },
  help: { short: 'h', value: false, description: 'show this help' },
};

const HELP = `Usage: atkd export <run dir | checkpoint dir | model dir | file.pth --arch NAME> --to DIR [--serve [--port N]]
       atkd export --serve --to DIR

Writes the student into DIR as a TF.js layers model (model.json, weights.bin), its manifest
${WEB_MANIFEST} (architecture, class names, input normalisation, source checkpoint) and index.html, a
page that classifies the images a user drops or picks (top-5 classes, milliseconds per image). TF.js,
atkd's custom layers (atkd-web.js) and the WebAssembly binaries are files of DIR: the page needs no
network. Browsers do not load models from file:// pages: serve DIR (--serve, or any static server).

Flags:
${formatFlags(FLAGS)}
`;

interface Source {
  checkpoint: string;
  run: string | null;
  state: CheckpointState | null;
}

/** A run directory, a checkpoint directory, or a TF.js model directory; errors name the path. */
function resolveSource(spec: string, which: 'best' | 'latest'): Source {
  if (!existsSync(spec)) throw new Error(`atkd export: ${spec} does not exist`);
  if (/\.(pth|pt)$/i.test(spec) && statSync(spec).isFile()) return { checkpoint: spec, run: null, state: null };
  if (!statSync(spec).isDirectory()) throw new Error(`atkd export: ${spec} is not a directory (give a run directory, a checkpoint directory or a .pth with --arch)`);
  if (existsSync(join(spec, 'model.json'))) {
    const state = existsSync(join(spec, STATE_JSON)) ? readJson<CheckpointState>(join(spec, STATE_JSON), 'checkpoint state') : null;
    const parent = dirname(resolve(spec));
    const run = basename(parent) === 'checkpoints' && existsSync(join(dirname(parent), CONFIG_JSON)) ? dirname(parent) : null;
    return { checkpoint: spec, run, state };
  }
  if (existsSync(join(spec, CONFIG_JSON))) {
    const ck = findCheckpoint(spec, which) ?? (which === 'best' ? findCheckpoint(spec, 'latest') : null);
    if (ck === null) throw new Error(`atkd export: run directory ${spec} has no checkpoint (${join(spec, 'checkpoints', which)})`);
    return { checkpoint: ck, run: spec, state: readJson<CheckpointState>(join(ck, STATE_JSON), 'checkpoint state') };
  }
  throw new Error(`atkd export: ${spec} is neither a run directory (no ${CONFIG_JSON}) nor a model directory (no model.json)`);
}

/** The fine class names of the run's training data (the embedded sample's when it is gone). */
async function classNames(config: RunConfig | null): Promise<string[]> {
  const path = config !== null && existsSync(config.train) ? config.train : embeddedDefaults().train;
  const file = await openDataFile(path, 'class names from data');
  try {
    return [...file.meta.fineLabelNames];
  } finally {
    await file.close();
  }
}

/** DIR must be new, empty, or an earlier export (nothing else is overwritten). */
function checkTarget(to: string): void {
  if (!existsSync(to)) return;
  if (!statSync(to).isDirectory()) throw new Error(`atkd export: --to ${to} exists and is not a directory`);
  if (readdirSync(to).length > 0 && !existsSync(join(to, WEB_MANIFEST))) throw new Error(`atkd export: --to ${to} holds files but no earlier export (${WEB_MANIFEST}); choose an empty or new directory`);
}

async function serve(dir: string, port: number, io: Parameters<Command['run']>[1]): Promise<number> {
  if (!existsSync(join(dir, WEB_MANIFEST)) || !existsSync(join(dir, 'index.html'))) throw new Error(`atkd export --serve: ${dir} is not an export directory (no ${WEB_MANIFEST} / index.html)`);
  const server = await serveDirectory(dir, { port });
  io.stdout.write(`serving ${resolve(dir)} at ${server.url} (Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'the student as a TF.js model + manifest + an offline classifier page (index.html); --serve',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd export');
    if (args.flags.has('help')) {
      io.stdout.write(HELP);
      return 0;
    }
    const to = stringFlag(args, 'to');
    if (to === undefined) throw new UsageError('atkd export: give the export directory with --to DIR');
    const port = intFlag(args, 'port', 'atkd export', 0, 65535) ?? 8080;
    if (args.flags.has('port') && !args.flags.has('serve')) throw new UsageError('atkd export: --port goes with --serve');
    if (args.positionals.length === 0 && args.flags.has('serve')) return serve(to, port, io);
    if (args.positionals.length !== 1) throw new UsageError('atkd export: give one run directory or checkpoint directory (see atkd export --help)');
    const which = stringFlag(args, 'checkpoint') ?? 'best';
    if (which !== 'best' && which !== 'latest') throw new UsageError(`atkd export: flag --checkpoint must be best or latest, got ${JSON.stringify(which)}`);
    const source = resolveSource(args.positionals[0], which);
    const arch = stringFlag(args, 'arch') ?? source.state?.student;
    if (arch === undefined) throw new UsageError(`atkd export: ${source.checkpoint} has no ${STATE_JSON}: name its architecture with --arch (known: ${MODEL_NAMES.join(', ')})`);
    if (!MODEL_NAMES.includes(arch)) throw new UsageError(`atkd export: flag --arch: unknown model "${arch}" (known: ${MODEL_NAMES.join(', ')})`);
    if (source.state !== null && stringFlag(args, 'arch') !== undefined && source.state.student !== arch) throw new UsageError(`atkd export: --arch ${arch}, but checkpoint ${source.checkpoint} holds a ${source.state.student}`);
    checkTarget(to);

    const config = source.run !== null ? readJson<RunConfig>(join(source.run, CONFIG_JSON), 'run config') : null;
    const summary = source.run !== null && existsSync(join(source.run, SUMMARY_JSON)) ? readJson<RunSummary>(join(source.run, SUMMARY_JSON), 'summary') : null;
    // the run's input normalisation (a named one of @atkd/data; runs without the key used cifar100)
    const normName = config?.normalization ?? 'cifar100';
    if (!INPUT_NORMALIZATION_NAMES.includes(normName as InputNormalizationName)) throw new Error(`atkd export: ${join(source.run as string, CONFIG_JSON)}: field 'normalization' is ${JSON.stringify(normName)} (known: ${INPUT_NORMALIZATION_NAMES.join(', ')})`);
    const norm = INPUT_NORMALIZATIONS[normName as InputNormalizationName];
    const classes = await classNames(config);
    await initBackend({ prefer: 'cpu', log: false });
    let model: tf.LayersModel;
    try {
      model = await loadAnyModel(source.checkpoint, { arch, classes: classes.length }); // a TF.js model directory, or a .pth of architecture `arch`
    } catch (error) {
      throw new Error(`atkd export: checkpoint ${source.checkpoint}: ${(error as Error).message}`, { cause: error });
    }
    let manifest: WebManifest;
    try {
      const outputs = model.outputs[0].shape.at(-1) as number;
      const info = listModels({ classes: outputs }).find((m) => m.name === arch);
      const best = source.state?.best ?? null;
      const isBest = basename(source.checkpoint) === 'best';
      manifest = webManifest({
        architecture: { name: arch, family: info?.family ?? null, params: info?.params ?? null, macs: info?.macs ?? null },
        classes,
        outputs,
        input: { size: 32, channels: 'RGB', layout: 'NHWC', scale: 255, normalization: normName, mean: [...norm.mean], std: [...norm.std] },
        source: {
          run: source.run === null ? null : resolve(source.run),
          checkpoint: resolve(source.checkpoint),
          epoch: source.state === null ? null : isBest && best !== null ? best.epoch + 1 : source.state.next.epoch,
          step: source.state?.step ?? null,
          testTop1: isBest && best !== null ? best.top1 : (summary?.student?.top1 ?? null),
          testTop5: isBest ? null : (summary?.student?.top5 ?? null),
        },
      });
      mkdirSync(to, { recursive: true });
      await saveModel(model, to);
    } finally {
      model.dispose();
    }
    const files = webPageFiles(manifest);
    for (const f of files) writeFileAtomicSync(join(to, f.name), f.data);
    const written = ['model.json', 'weights.bin', ...files.map((f) => f.name)];
    if (args.flags.has('json')) io.stdout.write(`${JSON.stringify({ dir: resolve(to), files: written, manifest })}\n`);
    else io.stdout.write(`exported ${arch} from ${source.checkpoint} to ${to}: ${written.join(', ')}\nopen it with: atkd export --serve --to ${to}\n`);
    return args.flags.has('serve') ? serve(to, port, io) : 0;
  },
};
