/**
 * The training loop of `atkd distill` and `atkd train`, with the run directory, checkpoints, resume,
 * Ctrl-C handling and the progress bar.
 *
 * One distillation step is the pipeline's stages applied to one batch, in order:
 * `@atkd/data` batch -> Arrow record batch -> `addTeacherLogits` (`@atkd/teacher`) -> `addTemperature`
 * (`@atkd/temperature`) -> `StudentTrainer.step` (`@atkd/student`: finishes pending temperatures,
 * computes the soft targets, the loss gamma*CE + beta*T^2*KL and the SGD update). The loop drives the
 * stages itself (rather than one Observable) so that it can stop between two steps, write a
 * checkpoint, and start again at any batch.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice, type BackendInfo } from '@atkd/backend';
import { TEMPERATURE, readFloat32 } from '@atkd/columns';
import { distill as distillPipeline } from '@atkd/pipeline';
import { Observable, tap } from 'rxjs';
import { mixSeed, mulberry32, toNormalizedNHWC, type CifarArrowFile, type CifarBatch } from '@atkd/data';
import { createModel } from '@atkd/models';
import { SgdMomentum, StudentTrainer, addCounts, strategyFinisher, crossEntropyPerRowTf, evaluateBatch, toEvalResult, trainableVariables, type EvalCounts, type EvalResult } from '@atkd/student';
import { loadTeacher, modelClasses } from '@atkd/teacher';
import { getStrategy, isLearnable, type TemperatureStrategy } from '@atkd/temperature';
import { ConfigError, RESUMABLE_KEYS, type RunConfig } from './config.js';
import { batchesPerEpoch, epochOrder, openDataFile, readBatch, type PlanOptions } from './batches.js';
import { StepProgress } from './progress.js';
import {
  CONFIG_JSON,
  MetricsLog,
  RunDirError,
  SUMMARY_JSON,
  copyWeights,
  findCheckpoint,
  newEpochAccumulator,
  readCheckpoint,
  readJson,
  writeCheckpoint,
  writeJsonAtomic,
  type CheckpointState,
  type EpochAccumulator,
  type EpochRecord,
  type StepRecord,
} from './run-dir.js';

export const CLASSES = 100;

export interface Output {
  /** Progress and notes (stderr). */
  info(line: string): void;
  quiet: boolean;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface RunSummary {
  status: 'completed' | 'interrupted';
  command: 'distill' | 'train';
  runDir: string;
  backend: string;
  /** XNNPACK threads when the backend is wasm (ATKD_WASM_THREADS), else 1. */
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

/**
 * The batches [from, to) of an epoch as an Observable (one per macrotask, so signals get in between);
 * stops early, completing, once `stop()` is true.
 */
function segmentSource(f: CifarArrowFile, plan: PlanOptions, epoch: number, from: number, to: number, step: number, order: Uint32Array, stop: () => boolean): Observable<CifarBatch> {
  return new Observable<CifarBatch>((subscriber) => {
    let cancelled = false;
    void (async () => {
      for (let i = from; i < to; i++) {
        if (cancelled || stop()) break;
        subscriber.next(readBatch(f, plan, epoch, i, step + (i - from), order));
        await new Promise<void>((r) => setImmediate(r));
      }
      subscriber.complete();
    })().catch((e: unknown) => subscriber.error(e));
    return () => {
      cancelled = true;
    };
  });
}

/** The student with initial weights drawn from `seed` (TF.js initialisers draw their seed from Math.random). */
export function seededModel(name: string, seed: number): tf.LayersModel {
  const saved = Math.random;
  const next = mulberry32(mixSeed(seed >>> 0, 0x5eed));
  Math.random = () => {
    const v = next();
    return v === 0 ? 0.5 : v; // tfjs treats a seed of 0 as "no seed"
  };
  try {
    return createModel(name, { classes: CLASSES });
  } finally {
    Math.random = saved;
  }
}

function getBuffers(opt: SgdMomentum, vars: readonly tf.Variable[]): Array<tf.Tensor | undefined> {
  return vars.map((v) => opt.buffer(v.name));
}

function setBuffers(opt: SgdMomentum, vars: readonly tf.Variable[], buffers: Array<Float32Array | null>, what: string): void {
  if (buffers.length !== vars.length) throw new RunDirError(`${what}: the optimizer state has ${buffers.length} buffers, the student has ${vars.length} trainable weights: the checkpoint does not match`);
  vars.forEach((v, i) => {
    const b = buffers[i];
    if (b === null) return;
    if (b.length !== v.size) throw new RunDirError(`${what}: momentum buffer ${i} holds ${b.length} values, weight ${v.name} has ${v.size}: the checkpoint does not match`);
    opt.setBuffer(v.name, b, v.shape);
  });
}

/** Evaluates `model` on the test file (inference mode). */
export async function evaluateFile(model: tf.LayersModel, f: CifarArrowFile, batchSize: number, limit: number | null, progress?: (done: number, total: number) => void, stop?: () => boolean): Promise<EvalResult | null> {
  const o: PlanOptions = { batchSize, shuffle: false, augment: false, seed: 0, rows: limit };
  const total = batchesPerEpoch(f.numRows, o);
  const order = epochOrder(f, o, 0);
  let counts: EvalCounts = { count: 0, top1: 0, top5: 0, lossSum: 0 };
  for (let i = 0; i < total; i++) {
    if (stop?.()) return null;
    const b = readBatch(f, o, 0, i, i, order);
    counts = addCounts(counts, evaluateBatch(model, { images: b.images, fine: b.fine, size: b.size }, toNormalizedNHWC));
    progress?.(i + 1, total);
    await new Promise<void>((r) => setImmediate(r));
  }
  return toEvalResult(counts);
}

function histogram(values: Float32Array, bins = 40): { edges: number[]; counts: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) hi = lo + 1e-6;
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / w))] += 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * w);
  return { edges, counts };
}

export interface RunOptions {
  config: RunConfig;
  runDir: string;
  resume: boolean;
  out: Output;
  /** The command line that resumes this run (printed on interrupt). */
  resumeCommand: string;
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

/** Runs (or resumes) a training run; writes the run directory; resolves to the summary. */
export async function runTraining(opts: RunOptions): Promise<RunSummary> {
  const { config, out } = opts;
  const runDir = resolve(opts.runDir);
  const distill = config.command === 'distill';

  // ---- run directory
  if (!opts.resume) {
    if (existsSync(join(runDir, CONFIG_JSON))) throw new RunDirError(`run directory ${runDir} already holds a run (config.json); continue it with --resume ${opts.runDir}, or choose another --out`);
    mkdirSync(runDir, { recursive: true });
    writeJsonAtomic(join(runDir, CONFIG_JSON), config);
  }
  const metrics = new MetricsLog(runDir);

  // ---- engine, data
  const backend: BackendInfo = await initBackend({ prefer: (config.backend ?? undefined) as BackendChoice | undefined, wasmThreads: config.threads ?? undefined, log: out.quiet ? false : (line) => out.info(line) });
  const trainFile = await openDataFile(config.train, 'training data');
  const testFile = await openDataFile(config.test, 'test data').catch(async (e: unknown) => {
    await trainFile.close();
    throw e;
  });
  const closeFiles = async () => {
    await trainFile.close();
    await testFile.close();
  };

  let teacher: tf.LayersModel | null = null;
  let student: tf.LayersModel | null = null;
  let strategy: TemperatureStrategy | null = null;
  let trainer: StudentTrainer | null = null;
  let sgd: SgdMomentum | null = null;
  const finished: { temperatures: Float32Array | null } = { temperatures: null };
  let interrupted = false;
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals === 1) {
      interrupted = true;
      out.stderr.write('\natkd: interrupt: finishing the current step and writing a checkpoint (press Ctrl-C again to quit without one)\n');
    } else {
      out.stderr.write('atkd: second interrupt: quitting without a checkpoint\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // ---- models
    if (distill) {
      try {
        teacher = await loadTeacher(config.teacher as string, { arch: config.teacherModel ?? undefined, classes: CLASSES });
      } catch (error) {
        throw new RunDirError(`teacher ${config.teacher}: ${(error as Error).message}`);
      }
      const tc = modelClasses(teacher);
      if (tc !== CLASSES) throw new RunDirError(`teacher ${config.teacher} outputs ${tc} classes; CIFAR-100 needs ${CLASSES}`);
      strategy = getStrategy(config.strategy as string, config.strategyOptions);
    }
    student = seededModel(config.student, config.seed);
    const sgdOptions = { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay, milestones: config.milestones, lrDecay: config.lrDecay };
    if (distill) {
      const finish = strategyFinisher(strategy ?? undefined);
      trainer = new StudentTrainer(student, {
        ...sgdOptions,
        gamma: config.gamma,
        beta: config.beta,
        strategy: strategy ?? undefined,
        source: config.train,
        // the same finisher, keeping the final per-row temperatures for the epoch's histogram
        finishTemperature: (cols, logits) => {
          const f = finish(cols, logits);
          finished.temperatures = f.teacher;
          return f;
        },
      });
      sgd = trainer.optimizer;
    } else {
      sgd = new SgdMomentum(sgdOptions);
    }
    const vars = trainableVariables(student);

    // ---- state (fresh or from `latest`)
    let state: Omit<CheckpointState, 'optimizer' | 'format'> = {
      student: config.student,
      next: { epoch: 0, index: 0 },
      step: 0,
      rng: { seed: config.seed, algorithm: 'mulberry32(mixSeed(seed, epoch[, batch]))' },
      best: null,
      epochAcc: null,
      strategyState: null,
      teacherEval: null,
      trainSeconds: 0,
      trainImages: 0,
    };
    let epochTemps: number[] = [];
    if (opts.resume) {
      const dir = findCheckpoint(runDir, 'latest');
      if (dir === null) throw new RunDirError(`--resume ${opts.runDir}: no checkpoint in ${join(runDir, 'checkpoints', 'latest')}`);
      const ck = await readCheckpoint(dir);
      try {
        if (ck.state.student !== config.student) throw new RunDirError(`checkpoint ${dir} holds a ${ck.state.student} student, the config asks for ${config.student}: the checkpoint does not match`);
        copyWeights(ck.model, student, `checkpoint ${dir}`);
      } finally {
        ck.model.dispose();
      }
      setBuffers(sgd, vars, ck.buffers, `checkpoint ${dir}`);
      const { optimizer: _o, format: _f, ...rest } = ck.state;
      state = rest;
      if (ck.state.strategyState !== null && strategy !== null && isLearnable(strategy)) strategy.setState(ck.state.strategyState);
      if (ck.epochTemperatures !== null) epochTemps = Array.from(ck.epochTemperatures);
      metrics.truncateTo(state.step);
      writeJsonAtomic(join(runDir, CONFIG_JSON), config); // with the keys --resume changed (epochs, ...)
      out.info(`resuming ${runDir} at epoch ${state.next.epoch + 1}, batch ${state.next.index} (step ${state.step})`);
    }

    const trainPlan: PlanOptions = { batchSize: config.batchSize, shuffle: true, augment: config.augment, seed: config.seed, limit: config.stepsPerEpoch };
    const perEpoch = batchesPerEpoch(trainFile.numRows, trainPlan);
    if (perEpoch === 0) throw new RunDirError(`training data ${config.train} has no rows`);

    // ---- teacher accuracy (once per run)
    if (distill && teacher !== null && state.teacherEval === null) {
      const bar = new StepProgress('teacher eval', batchesPerEpoch(testFile.numRows, { batchSize: config.evalBatchSize, shuffle: false, augment: false, seed: 0, rows: config.testLimit }), { quiet: out.quiet, stream: out.stderr, unit: 'batches', rateUnit: 'batch/s' });
      const r = await evaluateFile(teacher, testFile, config.evalBatchSize, config.testLimit, (d) => bar.update(d), () => interrupted);
      bar.finish();
      if (r !== null) state.teacherEval = { top1: r.top1, top5: r.top5, loss: r.loss, count: r.count };
    }

    const checkpoint = async (name: 'latest' | 'best') => {
      if (strategy !== null && isLearnable(strategy)) state.strategyState = strategy.getState();
      await writeCheckpoint(runDir, name, {
        model: student as tf.LayersModel,
        buffers: getBuffers(sgd as SgdMomentum, vars),
        state,
        epochTemperatures: state.next.index > 0 && epochTemps.length > 0 ? Float32Array.from(epochTemps) : undefined,
      });
    };

    let lastEpoch: EpochRecord | null = null;
    const totalSteps = config.epochs * perEpoch;
    const bar = new StepProgress('train', totalSteps, { quiet: out.quiet, stream: out.stderr, unit: 'steps', startAt: state.step, startWork: state.trainImages });

    while (!interrupted && state.next.epoch < config.epochs) {
      const epoch = state.next.epoch;
      const order = epochOrder(trainFile, trainPlan, epoch);
      const acc: EpochAccumulator = state.epochAcc ?? newEpochAccumulator();
      state.epochAcc = acc;
      if (state.next.index === 0) epochTemps = [];
      /** Books one step: metrics line, epoch sums, position, progress. */
      const book = (rec: StepRecord, seconds: number, temps: ArrayLike<number> | null) => {
        if (!Number.isFinite(rec.loss)) throw new Error(`step ${rec.step} (epoch ${epoch + 1}, batch ${rec.index}): the loss is ${rec.loss}; lower --lr`);
        metrics.append(rec);
        if (temps !== null) for (let i = 0; i < temps.length; i++) epochTemps.push(temps[i]);
        acc.images += rec.size;
        acc.loss += rec.loss * rec.size;
        acc.ce += rec.ce * rec.size;
        acc.kd += (rec.kd ?? 0) * rec.size;
        acc.rho += (rec.rho ?? 0) * rec.size;
        acc.correct += rec.acc * rec.size;
        if (rec.t_mean !== undefined) {
          acc.tMin = Math.min(acc.tMin, rec.t_min as number);
          acc.tMax = Math.max(acc.tMax, rec.t_max as number);
          acc.tSum += rec.t_mean * rec.size;
        }
        acc.seconds += seconds;
        state.trainSeconds += seconds;
        state.trainImages += rec.size;
        state.step = rec.step + 1;
        state.next = { epoch, index: rec.index + 1 };
        const extra = `loss ${rec.loss.toFixed(3)}${rec.t_mean !== undefined ? `  T ${rec.t_mean.toFixed(2)}` : ''}`;
        bar.update(state.step, state.trainImages, extra, `epoch ${epoch + 1}/${config.epochs}`);
      };
      while (!interrupted && state.next.index < perEpoch) {
        // a segment: up to the end of the epoch or the next intermediate checkpoint
        const every = config.checkpointEvery;
        const stopAt = every > 0 ? Math.min(perEpoch, state.next.index + (every - (state.step % every))) : perEpoch;
        if (distill) {
          // the pipeline of @atkd/pipeline over this segment's batches: teacher logits -> temperatures ->
          // soft targets -> student update (the caller-owned trainer keeps its optimizer state across segments)
          const first = state.next.index;
          const source = segmentSource(trainFile, trainPlan, epoch, first, stopAt, state.step, order, () => interrupted);
          let temps: Float32Array | null = null;
          let last = performance.now();
          await new Promise<void>((done, fail) => {
            distillPipeline({
              source,
              teacher: teacher as tf.LayersModel,
              strategy: strategy as TemperatureStrategy,
              student: trainer as StudentTrainer,
              wrap: (name, stage) => (name === 'temperature' ? (src) => stage(src).pipe(tap((rb) => void (temps = readFloat32(rb, TEMPERATURE)))) : stage),
            }).subscribe({
              next: (m) => {
                const now = performance.now();
                const ms = now - last;
                last = now;
                const rec: StepRecord = {
                  type: 'step', epoch, index: state.next.index, step: m.step, size: m.size, lr: m.lr, loss: m.loss.total, ce: m.loss.ce, kd: m.loss.kd,
                  t_min: m.temperature.min, t_mean: m.temperature.mean, t_max: m.temperature.max, rho: m.rho, acc: m.accuracy, img_s: (m.size * 1000) / ms,
                };
                book(rec, ms / 1000, finished.temperatures ?? temps);
                finished.temperatures = null;
              },
              error: fail,
              complete: done,
            });
          });
        } else {
          while (!interrupted && state.next.index < stopAt) {
            const index = state.next.index;
            const started = performance.now();
            const batch = readBatch(trainFile, trainPlan, epoch, index, state.step, order);
            const lr = sgd.lrAt(epoch);
            const r = supervisedStep(student, sgd, vars, batch.images, batch.fine, batch.size, lr);
            const ms = performance.now() - started;
            book({ type: 'step', epoch, index, step: state.step, size: batch.size, lr, loss: r.loss, ce: r.loss, acc: r.accuracy, img_s: (batch.size * 1000) / ms }, ms / 1000, null);
            await new Promise<void>((res) => setImmediate(res)); // let signals in
          }
        }
        if (!interrupted && every > 0 && state.step % every === 0 && state.next.index < perEpoch) await checkpoint('latest');
      }
      if (interrupted) break;

      // ---- end of epoch: evaluation, record, checkpoints
      const evalBar = new StepProgress(`epoch ${epoch + 1} eval`, batchesPerEpoch(testFile.numRows, { batchSize: config.evalBatchSize, shuffle: false, augment: false, seed: 0, rows: config.testLimit }), { quiet: out.quiet, stream: out.stderr, unit: 'batches', rateUnit: 'batch/s' });
      const ev = await evaluateFile(student, testFile, config.evalBatchSize, config.testLimit, (d) => evalBar.update(d), () => interrupted);
      evalBar.finish();
      if (ev === null) break;
      const rec: EpochRecord = {
        type: 'epoch',
        epoch,
        step: state.step,
        lr: sgd.lrAt(epoch),
        train_loss: acc.loss / acc.images,
        train_ce: acc.ce / acc.images,
        train_acc: acc.correct / acc.images,
        test_top1: ev.top1,
        test_top5: ev.top5,
        test_loss: ev.loss,
        img_s: acc.images / acc.seconds,
        seconds: acc.seconds,
      };
      if (distill) {
        rec.train_kd = acc.kd / acc.images;
        rec.train_rho = acc.rho / acc.images;
        rec.t_min = acc.tMin;
        rec.t_mean = acc.tSum / acc.images;
        rec.t_max = acc.tMax;
        if (epochTemps.length > 0) rec.t_hist = histogram(Float32Array.from(epochTemps));
      }
      metrics.append(rec);
      lastEpoch = rec;
      bar.log(
        `epoch ${epoch + 1}/${config.epochs}  loss ${rec.train_loss.toFixed(4)}${rec.train_kd !== undefined ? `  kd ${rec.train_kd.toFixed(4)}  rho ${(rec.train_rho as number).toFixed(3)}  T ${(rec.t_mean as number).toFixed(3)}` : ''}  train acc ${(100 * rec.train_acc).toFixed(2)}%  test top-1 ${(100 * ev.top1).toFixed(2)}%  top-5 ${(100 * ev.top5).toFixed(2)}%  ${rec.img_s.toFixed(1)} img/s`,
      );
      state.next = { epoch: epoch + 1, index: 0 };
      state.epochAcc = null;
      const better = state.best === null || ev.top1 > state.best.top1;
      if (better) state.best = { top1: ev.top1, epoch };
      await checkpoint('latest');
      if (better) await checkpoint('best');
    }
    bar.finish();

    if (interrupted) await checkpoint('latest');
    if (lastEpoch === null) lastEpoch = metrics.read().filter((r): r is EpochRecord => r.type === 'epoch').at(-1) ?? null;
    const summary: RunSummary = {
      status: interrupted ? 'interrupted' : 'completed',
      command: config.command,
      runDir,
      backend: backend.name,
      backendThreads: backend.threads,
      epochs: config.epochs,
      epochsDone: state.next.epoch,
      steps: state.step,
      teacher: distill && state.teacherEval !== null ? { model: config.teacherModel, path: config.teacher as string, top1: state.teacherEval.top1, top5: state.teacherEval.top5, count: state.teacherEval.count } : null,
      student:
        lastEpoch !== null
          ? { model: config.student, top1: lastEpoch.test_top1, top5: lastEpoch.test_top5, loss: lastEpoch.test_loss, count: state.teacherEval?.count ?? 0, bestTop1: state.best?.top1 ?? lastEpoch.test_top1, bestEpoch: state.best?.epoch ?? lastEpoch.epoch }
          : null,
      temperature: lastEpoch !== null && lastEpoch.t_mean !== undefined ? { mean: lastEpoch.t_mean, min: lastEpoch.t_min as number, max: lastEpoch.t_max as number } : null,
      throughput: { imgPerSec: state.trainSeconds > 0 ? state.trainImages / state.trainSeconds : 0, images: state.trainImages, seconds: state.trainSeconds },
    };
    if (summary.student !== null && summary.student.count === 0) summary.student.count = Math.min(testFile.numRows, config.testLimit ?? testFile.numRows);
    if (interrupted) summary.resumeCommand = opts.resumeCommand;
    writeJsonAtomic(join(runDir, SUMMARY_JSON), summary);
    return summary;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    trainer?.dispose();
    if (!distill) sgd?.dispose();
    student?.dispose();
    teacher?.dispose();
    await closeFiles();
  }
}

/** One supervised SGD step (cross-entropy): returns the loss before the update and the batch accuracy. */
export function supervisedStep(model: tf.LayersModel, sgd: SgdMomentum, vars: tf.Variable[], images: Uint8Array, labels: Uint8Array, rows: number, lr: number): { loss: number; accuracy: number } {
  const input = toNormalizedNHWC(images);
  let logits: Float32Array = new Float32Array(0);
  let loss = Number.NaN;
  tf.tidy(() => {
    const x = tf.tensor4d(input, [rows, 32, 32, 3]);
    const y = tf.tensor1d(labels, 'int32');
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor2D;
      logits = out.dataSync() as Float32Array;
      return tf.mean(crossEntropyPerRowTf(out, y)) as tf.Scalar;
    }, vars);
    sgd.apply(vars, grads, lr);
    loss = value.dataSync()[0];
  });
  let correct = 0;
  const C = logits.length / rows;
  for (let b = 0; b < rows; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[b * C + c] > logits[b * C + best]) best = c;
    if (best === labels[b]) correct += 1;
  }
  return { loss, accuracy: correct / rows };
}

/** Reads the saved config of a run directory (for --resume). */
export function readRunConfig(runDir: string): RunConfig {
  return readJson<RunConfig>(join(runDir, CONFIG_JSON), 'run config');
}
