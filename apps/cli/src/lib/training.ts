/**
 * `atkd distill` / `atkd train` around the runner of `@atkd/runner`: the run directory's files
 * (config.json, metrics.jsonl, summary.json; the runner writes checkpoints/), the engine, the data files,
 * the teacher and the strategy, Ctrl-C, and the progress bars. The loop itself (`runEpochs`: the
 * pipeline over epochs, evaluation, checkpoints, resume) lives in `@atkd/runner`.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice, type BackendInfo } from '@atkd/backend';
import { loadAnyModel } from '@atkd/models';
import { findCheckpoint, runEpochs, type EpochRecord, type RunEvent } from '@atkd/runner';
import { modelClasses } from '@atkd/teacher';
import { getStrategy } from '@atkd/temperature';
import { getLoss } from '@atkd/student';
import { ProgressBar, normalizerFor } from '@atkd/data';
import { ConfigError, RESUMABLE_KEYS, type RunConfig } from './config.js';
import { openDataFile } from './batches.js';
import { connectNats, redactUrl, type NatsConnection } from './nats.js';
import { runConsumerName, streamPlan, streamProvider } from './stream-source.js';
import { CONFIG_JSON, MetricsLog, RunDirError, SUMMARY_JSON } from './run-dir.js';
import { readJson, removeStaleTemps, writeJsonAtomicSync } from '@atkd/fs';

export const CLASSES = 100;

export interface Output {
  /** Progress and notes (stderr). */
  info(line: string): void;
  quiet: boolean;
  /** The engine's full selection report instead of one short line (--verbose). */
  verbose?: boolean;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface RunSummary {
  status: 'completed' | 'interrupted';
  command: 'distill' | 'train';
  runDir: string;
  backend: string;
  /** Threads of the engine (ATen on torch, XNNPACK on wasm; ATKD_THREADS), else 1. */
  backendThreads: number;
  epochs: number;
  epochsDone: number;
  steps: number;
  teacher: { model: string | null; path: string; top1: number; top5: number; count: number } | null;
  student: { model: string; top1: number; top5: number; loss: number; count: number; bestTop1: number; bestEpoch: number } | null;
  temperature: { mean: number; min: number; max: number } | null;
  throughput: { imgPerSec: number; images: number; seconds: number };
  resumeCommand?: string;
}

export interface RunOptions {
  config: RunConfig;
  runDir: string;
  resume: boolean;
  out: Output;
  /** The command line that resumes this run (printed on interrupt). */
  resumeCommand: string;
  /** `--source`: the stream to train from, and how to connect (the URL may carry credentials: never printed). */
  source?: { url: string; stream: string; credsFile?: string; tlsCaFile?: string };
}

/** Checks a run directory against a config for `--resume`: the keys that shape the run must match. */
export function checkResumeConfig(saved: RunConfig, wanted: RunConfig, changed: readonly string[], runDir: string): RunConfig {
  for (const key of changed) {
    if (!RESUMABLE_KEYS.includes(key) && JSON.stringify((saved as unknown as Record<string, unknown>)[key]) !== JSON.stringify((wanted as unknown as Record<string, unknown>)[key])) {
      throw new ConfigError(`--resume ${runDir}: ${key} cannot change when resuming (the run has ${JSON.stringify((saved as unknown as Record<string, unknown>)[key])}); only ${RESUMABLE_KEYS.join(', ')} can`);
    }
  }
  const merged = { ...saved } as unknown as Record<string, unknown>;
  for (const key of changed) if (RESUMABLE_KEYS.includes(key)) merged[key] = (wanted as unknown as Record<string, unknown>)[key];
  return merged as unknown as RunConfig;
}

/** The progress bars and log lines of a run, driven by the runner's events. */
function progressView(config: RunConfig, runDir: string, metrics: MetricsLog, out: Output): { onEvent: (e: RunEvent) => void; finish: () => void } {
  let bar: ProgressBar | null = null;
  let evalBar: ProgressBar | null = null;
  const barOptions = { quiet: out.quiet, stream: out.stderr };
  return {
    onEvent: (e) => {
      switch (e.type) {
        case 'resumed':
          metrics.truncateTo(e.state.step);
          writeJsonAtomicSync(join(runDir, CONFIG_JSON), config); // with the keys --resume changed (epochs, ...)
          out.info(`resuming ${runDir} at epoch ${e.state.next.epoch + 1}, batch ${e.state.next.index} (step ${e.state.step})`);
          break;
        case 'eval-start':
          evalBar = new ProgressBar(e.of === 'teacher' ? 'teacher eval' : `epoch ${(e.epoch as number) + 1} eval`, e.total, { ...barOptions, unit: 'batches', rateUnit: 'batch/s' });
          break;
        case 'eval-batch':
          evalBar?.update(e.done);
          break;
        case 'eval-end':
          evalBar?.finish();
          evalBar = null;
          break;
        case 'train-start':
          bar = new ProgressBar('train', e.totalSteps, { ...barOptions, unit: 'steps', startAt: e.state.step, startWork: e.state.trainImages });
          break;
        case 'step': {
          const rec = e.record;
          metrics.append(rec);
          const extra = `loss ${rec.loss.toFixed(3)}${rec.t_mean !== undefined ? `  T ${rec.t_mean.toFixed(2)}` : ''}`;
          bar?.update(e.state.step, { work: e.state.trainImages, extra, label: `epoch ${rec.epoch + 1}/${config.epochs}` });
          break;
        }
        case 'epoch': {
          const rec = e.record;
          metrics.append(rec);
          bar?.log(
            `epoch ${rec.epoch + 1}/${config.epochs}  loss ${rec.train_loss.toFixed(4)}${rec.train_kd !== undefined ? `  kd ${rec.train_kd.toFixed(4)}  rho ${(rec.train_rho as number).toFixed(3)}  T ${(rec.t_mean as number).toFixed(3)}` : ''}  train acc ${(100 * rec.train_acc).toFixed(2)}%  test top-1 ${(100 * rec.test_top1).toFixed(2)}%  top-5 ${(100 * rec.test_top5).toFixed(2)}%  ${rec.img_s.toFixed(1)} img/s`,
          );
          break;
        }
        case 'checkpoint':
          break;
      }
    },
    finish: () => bar?.finish(),
  };
}

/** The one line about the engine a run prints (the full selection report is behind --verbose). */
export function engineLine(info: BackendInfo): string {
  const plural = info.threads === 1 ? '' : 's';
  const detail = info.name === 'wasm' ? ` (${info.threads} XNNPACK thread${plural})`
    : info.name === 'torch' ? ` (libtorch ${info.version ?? '?'}, ${info.threads} ATen thread${plural})` : '';
  return `engine: ${info.name}${detail}${info.forced ? ', forced' : ''}`;
}

/** Runs (or resumes) a training run; writes the run directory; resolves to the summary. */
export async function runTraining(opts: RunOptions): Promise<RunSummary> {
  const { config, out } = opts;
  const runDir = resolve(opts.runDir);
  const distill = config.command === 'distill';

  // ---- run directory: a directory without a checkpoint (a run that failed or was killed before its
  // first one) can be started again; one with a checkpoint is continued with --resume
  const hasCheckpoint = findCheckpoint(runDir, 'latest') !== null;
  let resume = opts.resume;
  if (!resume && existsSync(join(runDir, CONFIG_JSON)) && hasCheckpoint) {
    throw new RunDirError(`run directory ${runDir} already holds a run (config.json, checkpoints); continue it with --resume ${opts.runDir}, or choose another --out`);
  }
  if (resume && !hasCheckpoint) {
    out.info(`${runDir} has no checkpoint yet (the run stopped before its first one): starting it again`);
    resume = false;
  }
  const metrics = new MetricsLog(runDir);

  // ---- engine, data: everything is checked before the run directory is written
  const backend: BackendInfo = await initBackend({ prefer: (config.backend ?? undefined) as BackendChoice | undefined, threads: config.threads ?? undefined, log: out.quiet || out.verbose !== true ? false : (line) => out.info(line) });
  out.info(engineLine(backend));
  const trainFile = await openDataFile(config.train, 'training data');
  const testFile = await openDataFile(config.test, 'test data').catch(async (e: unknown) => {
    await trainFile.close();
    throw e;
  });
  if (trainFile.meta.split === 'test') {
    out.stderr.write(`atkd ${config.command}: warning: the training data ${config.train} holds the test split of CIFAR-100 (its metadata says split "test"); test accuracy on it means nothing\n`);
  }

  let teacher: tf.LayersModel | null = null;
  const stop = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals === 1) {
      stop.abort();
      out.stderr.write('\natkd: interrupt: finishing the current step and writing a checkpoint (press Ctrl-C again to quit without one)\n');
    } else {
      out.stderr.write('atkd: second interrupt: quitting without a checkpoint\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let nc: NatsConnection | null = null;
  let provider: ReturnType<typeof streamProvider> | undefined;
  try {
    if (opts.source !== undefined) {
      const src = opts.source;
      nc = await connectNats({ url: src.url, credsFile: src.credsFile, tlsCaFile: src.tlsCaFile, name: 'atkd-distill' });
      const plan = await streamPlan(nc, src.stream, `--source ${redactUrl(src.url)}/${src.stream}`);
      if (config.stepsPerEpoch !== null && config.stepsPerEpoch !== plan.perEpoch) throw new RunDirError(`--steps-per-epoch ${config.stepsPerEpoch}: stream ${src.stream} was fed with ${plan.perEpoch} batches per epoch`);
      if (plan.epochs !== null && config.epochs > plan.epochs) throw new RunDirError(`--epochs ${config.epochs}: stream ${src.stream} was fed with ${plan.epochs} epochs; feed more (atkd feed --first-epoch ${plan.epochs} --epochs ${config.epochs}) or ask for fewer`);
      if (plan.batchSize !== null && plan.batchSize !== config.batchSize) out.info(`note: stream ${src.stream} holds batches of ${plan.batchSize} (the run's --batch-size ${config.batchSize} does not apply)`);
      provider = streamProvider(nc, src.stream, runDir, plan, (line) => out.info(line));
      out.info(`training from stream ${src.stream} on ${redactUrl(src.url)} (${plan.perEpoch} batches per epoch; consumer ${runConsumerName(runDir)})`);
    }
    if (distill && provider === undefined) {
      try {
        teacher = await loadAnyModel(config.teacher as string, { arch: config.teacherArch ?? undefined, classes: CLASSES });
      } catch (error) {
        throw new RunDirError(`teacher ${config.teacher}: ${(error as Error).message}`);
      }
      const tc = modelClasses(teacher);
      if (tc !== CLASSES) throw new RunDirError(`teacher ${config.teacher} outputs ${tc} classes; CIFAR-100 needs ${CLASSES}`);
    }
    const strategy = distill ? getStrategy(config.strategy as string, config.strategyOptions) : undefined;
    const loss = distill ? getLoss(config.loss ?? 'kd', config.lossOptions) : undefined;
    if (!resume) {
      mkdirSync(runDir, { recursive: true });
      await removeStaleTemps(runDir);
      writeJsonAtomicSync(join(runDir, CONFIG_JSON), config);
      rmSync(metrics.path, { force: true }); // lines of a start that stopped before its first checkpoint
    } else await removeStaleTemps(runDir);
    const view = progressView(config, runDir, metrics, out);
    const result = await runEpochs({
      mode: config.command,
      student: config.student,
      seed: config.seed,
      epochs: config.epochs,
      batchSize: config.batchSize,
      augment: config.augment,
      stepsPerEpoch: config.stepsPerEpoch,
      checkpointEvery: config.checkpointEvery,
      evalBatchSize: config.evalBatchSize,
      testLimit: config.testLimit,
      sgd: { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay, milestones: config.milestones, lrDecay: config.lrDecay },
      gamma: config.gamma,
      beta: config.beta,
      train: trainFile,
      test: testFile,
      trainName: config.train,
      ...(teacher === null || strategy === undefined || loss === undefined ? {} : { teacher, strategy, loss }),
      ...(provider === undefined || strategy === undefined || loss === undefined ? {} : { provider, strategy, loss }),
      ...(config.normalization === 'cifar100' ? {} : { normalize: normalizerFor(config.normalization) }),
      dir: runDir,
      resume,
      signal: stop.signal,
      onEvent: view.onEvent,
    });
    view.finish();
    const read = provider?.stats();
    if (read !== undefined && read !== null && opts.source !== undefined) {
      // each step exactly once: what came again (a redelivery after a restart or a dead service) was dropped
      out.info(`stream ${opts.source.stream}: ${read.done} steps done from ${read.delivered} deliveries (dropped: ${read.duplicates} duplicates, ${read.stale} before the run's position)`);
    }

    const { state } = result;
    const interrupted = result.status === 'interrupted';
    const lastEpoch = result.lastEpoch ?? metrics.read().filter((r): r is EpochRecord => r.type === 'epoch').at(-1) ?? null;
    const summary: RunSummary = {
      status: result.status,
      command: config.command,
      runDir,
      backend: backend.name,
      backendThreads: backend.threads,
      epochs: config.epochs,
      epochsDone: state.next.epoch,
      steps: state.step,
      teacher: distill && state.teacherEval !== null ? { model: config.teacherArch, path: config.teacher as string, top1: state.teacherEval.top1, top5: state.teacherEval.top5, count: state.teacherEval.count } : null,
      student:
        lastEpoch !== null
          ? { model: config.student, top1: lastEpoch.test_top1, top5: lastEpoch.test_top5, loss: lastEpoch.test_loss, count: state.teacherEval?.count ?? 0, bestTop1: state.best?.top1 ?? lastEpoch.test_top1, bestEpoch: state.best?.epoch ?? lastEpoch.epoch }
          : null,
      temperature: lastEpoch !== null && lastEpoch.t_mean !== undefined ? { mean: lastEpoch.t_mean, min: lastEpoch.t_min as number, max: lastEpoch.t_max as number } : null,
      throughput: { imgPerSec: state.trainSeconds > 0 ? state.trainImages / state.trainSeconds : 0, images: state.trainImages, seconds: state.trainSeconds },
    };
    if (summary.student !== null && summary.student.count === 0) summary.student.count = Math.min(testFile.numRows, config.testLimit ?? testFile.numRows);
    if (interrupted) summary.resumeCommand = opts.resumeCommand;
    writeJsonAtomicSync(join(runDir, SUMMARY_JSON), summary);
    return summary;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    teacher?.dispose();
    provider?.close();
    if (nc !== null) await nc.close().catch(() => undefined);
    await trainFile.close();
    await testFile.close();
  }
}

/** Reads the saved config of a run directory (for --resume). */
export function readRunConfig(runDir: string): RunConfig {
  return readJson<RunConfig>(join(runDir, CONFIG_JSON), 'run config', (m) => new RunDirError(m));
}
