/**
 * `runEpochs`: a training run over epochs. In `distill` mode each epoch is `distill()` of
 * `@atkd/pipeline` (teacher logits -> temperatures -> soft targets -> student update) over the
 * `cifarBatches` of the training file; in `train` mode a cross-entropy `StudentTrainer` (`mode: 'ce'`)
 * over the same batches. After every epoch the student is evaluated on the test file (`evaluateFile`
 * of `@atkd/student`); checkpoints are written at step boundaries (every `checkpointEvery` steps, at
 * the end of each epoch, on abort), and a run resumes at any step from its `latest` checkpoint.
 *
 * A resumed run sees exactly the batches, weights, optimizer state and random streams an uninterrupted
 * one would (the batch source starts at the checkpoint's position; every random stream is counter-based).
 *
 * The caller owns the files, the teacher and the strategy; the runner owns the student and its optimizer
 * state. Everything else a command line does (flags, the run directory's other files, signals, progress
 * bars) is the caller's, driven by the {@link RunEvent}s.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { SOFT_TARGETS, TEMPERATURE, withPosition } from '@atkd/columns';
import { cifarBatches, epochLength, toRecordBatch, type CifarArrowFile, type CifarBatch, type ImageNormalizer } from '@atkd/data';
import { removeStaleTemps } from '@atkd/fs';
import { distill, skipWhenPresent } from '@atkd/pipeline';
import { StudentTrainer, evaluateFile, type DistillationLoss, type EvalResult, type SgdOptions } from '@atkd/student';
import { isLearnable, type TemperatureStrategy } from '@atkd/temperature';
import type { RecordBatch } from 'apache-arrow';
import { Observable, take, takeWhile } from 'rxjs';
import { CHECKPOINTS, CheckpointError, copyWeights, findCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointName, type CheckpointState } from './checkpoint.js';
import { accumulate, histogram, newEpochAccumulator, type EpochRecord, type StepRecord } from './records.js';
import { seededModel } from './seeded-model.js';

/** Everything a checkpoint restores but the weights and the optimizer buffers. */
export type RunState = Omit<CheckpointState, 'optimizer' | 'format'>;

/** What shapes a run (and must not change when it resumes, except `epochs`, `checkpointEvery`, `evalBatchSize`). */
export interface RunSpec {
  /** `distill` (teacher -> student) or `train` (cross-entropy of the labels only). */
  mode: 'distill' | 'train';
  /** Zoo architecture of the student. */
  student: string;
  /** Seed of the student's initial weights, the shuffle and the augmentation. */
  seed: number;
  epochs: number;
  batchSize: number;
  /** Random crop and horizontal flip of the training batches. */
  augment: boolean;
  /** Cap on the steps of each epoch (null: the whole training file). */
  stepsPerEpoch: number | null;
  /** Write `latest` every this many steps (0: at the end of every epoch only). */
  checkpointEvery: number;
  evalBatchSize: number;
  /** Cap on the test images evaluated (null: the whole test file). */
  testLimit: number | null;
  /** The optimizer (learning rate, momentum, weight decay, schedule). */
  sgd: SgdOptions;
  /** Weights of the cross-entropy and KD terms (distill). */
  gamma?: number;
  beta?: number;
}

/** A notification of {@link runEpochs}, delivered synchronously at the point it describes. */
export type RunEvent =
  /** The state was restored from checkpoint `dir` (records after `state.step` are stale). */
  | { type: 'resumed'; dir: string; state: RunState }
  /** An evaluation starts: of the teacher (once per run) or of the student after epoch `epoch`. */
  | { type: 'eval-start'; of: 'teacher' | 'student'; epoch: number | null; total: number }
  | { type: 'eval-batch'; of: 'teacher' | 'student'; done: number; total: number }
  | { type: 'eval-end'; of: 'teacher' | 'student'; result: EvalResult | null }
  /** The training steps start (or continue) at `state.step` of `totalSteps`. */
  | { type: 'train-start'; totalSteps: number; perEpoch: number; state: RunState }
  /** A step is done; `state` is already advanced past it. */
  | { type: 'step'; record: StepRecord; state: RunState }
  /** An epoch is done and evaluated (before its checkpoints are written). */
  | { type: 'epoch'; record: EpochRecord; state: RunState }
  | { type: 'checkpoint'; name: CheckpointName; dir: string };

/**
 * Where the training batches come from instead of the training file: e.g. a JetStream stream of
 * batches that already carry `teacher_logits` (and maybe temperatures / soft targets). Its position is
 * saved in every checkpoint and handed back on resume.
 */
export interface BatchProvider {
  /** Batches per epoch (the stream's plan). */
  perEpoch: number;
  /** Opens at a checkpointed position (`null`: from the start) with `nextStep` the next step to train. */
  open(saved: Record<string, unknown> | null, nextStep: number): Promise<void>;
  /**
   * Record batches of steps `step .. step + count - 1` in order, each with its position (`withPosition`);
   * a batch counts as done once the `next` that delivered it returns.
   */
  segment(step: number, count: number): Observable<RecordBatch>;
  /** The position to checkpoint (every emitted batch is done). */
  position(): Record<string, unknown>;
}

export interface RunOptions extends RunSpec {
  /** The training and test data (open `@atkd/data` files; left open). */
  train: CifarArrowFile;
  test: CifarArrowFile;
  /** How the training data is named in error messages (its path). */
  trainName?: string;
  /** The teacher (distill; the caller's). Not needed with a `provider` whose batches carry teacher logits. */
  teacher?: tf.LayersModel;
  /** The training batches from elsewhere (a stream); `train` then only names the run's data. */
  provider?: BatchProvider;
  /** The temperature strategy instance (distill; the caller's; a learnable one is trained and checkpointed). */
  strategy?: TemperatureStrategy;
  /** The distillation loss (distill; `@atkd/student` `getLoss`: kd, dkd, mlkd; default kd). MLKD's strong view is added to the batches. */
  loss?: DistillationLoss;
  /**
   * Images to network input for the student, the teacher and the evaluations (default `toNormalizedNHWC`
   * of `@atkd/data`; `normalizerFor('repdistiller')` for a teacher trained with RepDistiller, mdistiller or
   * the authors' code).
   */
  normalize?: ImageNormalizer;
  /** The directory that holds `checkpoints/` (a run directory). */
  dir: string;
  /** Continue from `dir`'s `latest` checkpoint. */
  resume?: boolean;
  /** Stops the run at the next step boundary (a checkpoint `latest` is written first). */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface RunResult {
  status: 'completed' | 'interrupted';
  state: RunState;
  /** The record of the last epoch this call finished (null when it finished none). */
  lastEpoch: EpochRecord | null;
}

type Trainer = StudentTrainer<'distill'> | StudentTrainer<'ce'>;

function optimizerBuffers(trainer: Trainer): Array<tf.Tensor | undefined> {
  return trainer.variables.map((v) => trainer.optimizer.buffer(v.name));
}

function restoreBuffers(trainer: Trainer, buffers: Array<Float32Array | null>, what: string): void {
  const vars = trainer.variables;
  if (buffers.length !== vars.length) throw new CheckpointError(`${what}: the optimizer state has ${buffers.length} buffers, the student has ${vars.length} trainable weights: the checkpoint does not match`);
  vars.forEach((v, i) => {
    const b = buffers[i];
    if (b === null) return;
    if (b.length !== v.size) throw new CheckpointError(`${what}: momentum buffer ${i} holds ${b.length} values, weight ${v.name} has ${v.size}: the checkpoint does not match`);
    trainer.optimizer.setBuffer(v.name, b, v.shape);
  });
}

/** Subscribes and resolves when `source` completes. */
function drain<T>(source: Observable<T>, next: (value: T) => void): Promise<void> {
  return new Promise<void>((done, fail) => {
    source.subscribe({ next, error: fail, complete: done });
  });
}

/** A fresh run's state. */
export function initialState(spec: Pick<RunSpec, 'student' | 'seed'>): RunState {
  return {
    student: spec.student,
    next: { epoch: 0, index: 0 },
    step: 0,
    rng: { seed: spec.seed, algorithm: 'mulberry32(mixSeed(seed, epoch[, batch]))' },
    best: null,
    epochAcc: null,
    strategyState: null,
    teacherEval: null,
    trainSeconds: 0,
    trainImages: 0,
  };
}

/** Runs (or resumes) a training run; resolves when it completes or stops at `signal`. */
export async function runEpochs(o: RunOptions): Promise<RunResult> {
  const distilling = o.mode === 'distill';
  if (distilling && ((o.teacher === undefined && o.provider === undefined) || o.strategy === undefined)) throw new Error('runEpochs: a distill run needs a teacher and a strategy (a provider of batches with teacher logits stands in for the teacher)');
  const emit = o.onEvent ?? (() => undefined);
  const aborted = () => o.signal?.aborted === true;
  const strategy = o.strategy;
  const learnable = strategy !== undefined && isLearnable(strategy) ? strategy : undefined;

  const student = seededModel(o.student, o.seed);
  let trainer: Trainer | null = null;
  try {
    const source = o.trainName;
    const made: Trainer = distilling
      ? new StudentTrainer<'distill'>(student, { ...o.sgd, gamma: o.gamma, beta: o.beta, strategy, source, ...(o.loss === undefined ? {} : { loss: o.loss }), ...(o.normalize === undefined ? {} : { normalize: o.normalize }) })
      : new StudentTrainer<'ce'>(student, { ...o.sgd, mode: 'ce', source, ...(o.normalize === undefined ? {} : { normalize: o.normalize }) });
    trainer = made;

    // what writers killed mid-checkpoint left (temp directories, a swapped-out old copy once the new one is in)
    await removeStaleTemps(join(o.dir, CHECKPOINTS));

    // ---- state (fresh or from `latest`)
    let state = initialState(o);
    let epochTemps: number[] = [];
    if (o.resume === true) {
      const dir = findCheckpoint(o.dir, 'latest');
      if (dir === null) throw new CheckpointError(`${o.dir}: no checkpoint in ${join(o.dir, CHECKPOINTS, 'latest')}`);
      const ck = await readCheckpoint(dir);
      try {
        if (ck.state.student !== o.student) throw new CheckpointError(`checkpoint ${dir} holds a ${ck.state.student} student, the config asks for ${o.student}: the checkpoint does not match`);
        copyWeights(ck.model, student, `checkpoint ${dir}`);
      } finally {
        ck.model.dispose();
      }
      restoreBuffers(made, ck.buffers, `checkpoint ${dir}`);
      if (o.epochs < ck.state.next.epoch) {
        throw new CheckpointError(`${o.dir}: the run has done ${ck.state.next.epoch} epochs; ${o.epochs} epochs would end before where it stands (give at least ${ck.state.next.epoch})`);
      }
      const { optimizer: _o, format: _f, checksums: _c, ...rest } = ck.state;
      state = rest;
      if (ck.state.strategyState !== null && learnable !== undefined) learnable.setState(ck.state.strategyState);
      if (ck.epochTemperatures !== null) epochTemps = Array.from(ck.epochTemperatures);
      emit({ type: 'resumed', dir, state });
    }

    const strongView = distilling && o.loss?.needsStrongView === true;
    const plan = { batchSize: o.batchSize, shuffle: true, augment: o.augment, seed: o.seed, ...(strongView ? { strongView } : {}), ...(o.stepsPerEpoch === null ? {} : { maxBatchesPerEpoch: o.stepsPerEpoch }) };
    const perEpoch = o.provider !== undefined ? o.provider.perEpoch : epochLength(o.train.numRows, plan);
    if (o.provider !== undefined) await o.provider.open(state.source ?? null, state.step);
    if (perEpoch === 0) throw new Error(`training data ${o.trainName ?? '(runEpochs train)'} has no rows`);
    const evalOptions = { batchSize: o.evalBatchSize, ...(o.testLimit === null ? {} : { maxRows: o.testLimit }), ...(o.normalize === undefined ? {} : { normalize: o.normalize }) };
    const evaluate = async (model: tf.LayersModel, of: 'teacher' | 'student', epoch: number | null): Promise<EvalResult | null> => {
      const total = epochLength(o.test.numRows, evalOptions);
      emit({ type: 'eval-start', of, epoch, total });
      const result = await evaluateFile(model, o.test, { ...evalOptions, signal: o.signal, onBatch: (done) => emit({ type: 'eval-batch', of, done, total }) });
      emit({ type: 'eval-end', of, result });
      return result;
    };

    // ---- teacher accuracy (once per run)
    if (distilling && o.teacher !== undefined && state.teacherEval === null) {
      const r = await evaluate(o.teacher as tf.LayersModel, 'teacher', null);
      if (r !== null) state.teacherEval = { top1: r.top1, top5: r.top5, loss: r.loss, count: r.count };
    }

    const checkpoint = async (name: CheckpointName) => {
      if (learnable !== undefined) state.strategyState = learnable.getState();
      if (o.provider !== undefined) state.source = o.provider.position();
      const dir = await writeCheckpoint(o.dir, name, {
        model: student,
        buffers: optimizerBuffers(made),
        state,
        epochTemperatures: state.next.index > 0 && epochTemps.length > 0 ? Float32Array.from(epochTemps) : undefined,
      });
      emit({ type: 'checkpoint', name, dir });
    };

    let lastEpoch: EpochRecord | null = null;
    emit({ type: 'train-start', totalSteps: o.epochs * perEpoch, perEpoch, state });

    while (!aborted() && state.next.epoch < o.epochs) {
      const epoch = state.next.epoch;
      const acc = state.epochAcc ?? newEpochAccumulator();
      state.epochAcc = acc;
      if (state.next.index === 0) epochTemps = [];
      /** Books one step: epoch sums, position, temperatures. */
      const book = (rec: StepRecord, seconds: number, temps: ArrayLike<number> | null) => {
        if (!Number.isFinite(rec.loss)) throw new Error(`step ${rec.step} (epoch ${epoch + 1}, batch ${rec.index}): the loss is ${rec.loss}; lower the learning rate (--lr)`);
        if (temps !== null) for (let i = 0; i < temps.length; i++) epochTemps.push(temps[i]);
        accumulate(acc, rec, seconds);
        state.trainSeconds += seconds;
        state.trainImages += rec.size;
        state.step = rec.step + 1;
        state.next = { epoch, index: rec.index + 1 };
        emit({ type: 'step', record: rec, state });
      };
      while (!aborted() && state.next.index < perEpoch) {
        // a segment: up to the end of the epoch or the next intermediate checkpoint
        const every = o.checkpointEvery;
        const stopAt = every > 0 ? Math.min(perEpoch, state.next.index + (every - (state.step % every))) : perEpoch;
        const batches: Observable<CifarBatch> = cifarBatches(o.train, { ...plan, start: state.next, epochs: epoch + 1 }).pipe(
          takeWhile(() => !aborted()),
          take(stopAt - state.next.index),
        );
        if (distilling) {
          // the pipeline of @atkd/pipeline over this segment's batches; the trainer (and its optimizer
          // state) and the strategy instance outlive the segment. From a provider (a stream) the
          // batches carry the teacher's logits, and the stages that ran as services are skipped.
          const teacher = o.normalize === undefined ? (o.teacher as tf.LayersModel) : { model: o.teacher as tf.LayersModel, normalize: o.normalize };
          const steps = o.provider !== undefined
            ? distill({
                source: o.provider.segment(state.step, stopAt - state.next.index).pipe(takeWhile(() => !aborted())),
                teacher: null,
                strategy: strategy as TemperatureStrategy,
                student: made as StudentTrainer,
                wrap: (name, stage) => (name === 'temperature' ? skipWhenPresent(TEMPERATURE, stage) : name === 'soft-targets' ? skipWhenPresent(SOFT_TARGETS, stage) : stage),
              })
            : distill({ source: batches, teacher, strategy: strategy as TemperatureStrategy, student: made as StudentTrainer });
          await drain(steps, (m) => {
            const rec: StepRecord = {
              type: 'step', epoch, index: state.next.index, step: m.step, size: m.size, lr: m.lr, loss: m.loss.total, ce: m.loss.ce, kd: m.loss.kd,
              t_min: m.temperature.min, t_mean: m.temperature.mean, t_max: m.temperature.max, rho: m.rho, acc: m.accuracy, img_s: (m.size * 1000) / m.wallMs,
              ...(Object.keys(m.terms).length > 0 ? { terms: m.terms } : {}),
              outside: m.outsideRadius,
            };
            book(rec, m.wallMs / 1000, m.temperatures);
          });
        } else {
          const ce = made as StudentTrainer<'ce'>;
          await drain(batches, (b) => {
            const m = ce.step(withPosition(toRecordBatch(b), b));
            book({ type: 'step', epoch, index: b.index, step: m.step, size: m.size, lr: m.lr, loss: m.loss.total, ce: m.loss.ce, acc: m.accuracy, img_s: m.imgPerSec }, m.ms / 1000, null);
          });
        }
        if (!aborted() && every > 0 && state.step % every === 0 && state.next.index < perEpoch) await checkpoint('latest');
      }
      if (aborted()) break;

      // ---- end of epoch: evaluation, record, checkpoints
      const ev = await evaluate(student, 'student', epoch);
      if (ev === null) break;
      const rec: EpochRecord = {
        type: 'epoch',
        epoch,
        step: state.step,
        lr: made.optimizer.lrAt(epoch),
        train_loss: acc.loss / acc.images,
        train_ce: acc.ce / acc.images,
        train_acc: acc.correct / acc.images,
        test_top1: ev.top1,
        test_top5: ev.top5,
        test_loss: ev.loss,
        img_s: acc.images / acc.seconds,
        seconds: acc.seconds,
      };
      if (distilling) {
        rec.train_kd = acc.kd / acc.images;
        rec.train_rho = acc.rho / acc.images;
        rec.t_min = acc.tMin;
        rec.t_mean = acc.tSum / acc.images;
        rec.t_max = acc.tMax;
        if (epochTemps.length > 0) rec.t_hist = histogram(epochTemps);
        if (acc.terms !== undefined) rec.train_terms = Object.fromEntries(Object.entries(acc.terms).map(([k, v]) => [k, v / acc.images]));
        if (acc.outside !== undefined) rec.outside_radius = acc.outside / acc.images;
      }
      state.next = { epoch: epoch + 1, index: 0 };
      state.epochAcc = null;
      const better = state.best === null || ev.top1 > state.best.top1;
      if (better) state.best = { top1: ev.top1, epoch };
      emit({ type: 'epoch', record: rec, state });
      lastEpoch = rec;
      // best first: latest never names a best that is not there (a kill between the two leaves a
      // best one epoch ahead of latest, which the resumed run, bit-identical, writes again)
      if (better) await checkpoint('best');
      await checkpoint('latest');
    }

    if (aborted()) await checkpoint('latest');
    return { status: aborted() ? 'interrupted' : 'completed', state, lastEpoch };
  } finally {
    trainer?.dispose();
    student.dispose();
  }
}
