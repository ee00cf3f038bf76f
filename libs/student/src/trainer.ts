/**
 * The student update: one SGD step of a tf.LayersModel on the distillation loss of one Arrow record batch.
 * Tensors never leave a step: the batch comes in as Arrow columns and the step returns plain numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { CONVERGENCE_RADIUS, pearson, topKCorrect, zscore } from '@atkd/math';
import { computeSoftTargets } from '@atkd/soft-targets';
import { getStrategy, isLearnable, strategyNames, type FinishedTemperature, type LearnStep, type TemperatureStrategy } from '@atkd/temperature';
import { InputBuffer, toNormalizedNHWC, type ImageNormalizer } from '@atkd/data';
import type { RecordBatch } from 'apache-arrow';
import { readDistillColumns, readImages, readLabels, type DistillColumns } from './batch.js';
import { DEFAULT_BETA, DEFAULT_GAMMA, crossEntropyPerRowTf, type DistillLossOptions } from './loss.js';
import { SgdMomentum, type SgdOptions } from './sgd.js';
import { ColumnError, IMAGE_STRONG, TEACHER_LOGITS_STRONG, hasColumn, readBatchMetrics, readLogits, readPosition, type BatchMetrics } from '@atkd/columns';
import { getLoss } from './losses/registry.js';
import type { DistillationLoss, LossInputs } from './losses/types.js';

/**
 * Finishes a provisional temperature column (`atkd.temperature.pending = "student"`) from the student's
 * logits of this step (row-major rows x classes, as data: no gradient flows through the temperature).
 */
export type TemperatureFinisher = (columns: DistillColumns, studentLogits: Float32Array) => FinishedTemperature;

/**
 * The default finisher: the strategy's own `finish` (`@atkd/temperature`), the strategy being
 * `strategy` if given, else the one named in the batch's schema metadata, built with the recorded options.
 */
export function strategyFinisher(strategy?: TemperatureStrategy): TemperatureFinisher {
  const built = new Map<string, TemperatureStrategy>();
  return (c, student) => {
    let s = strategy;
    if (s === undefined) {
      if (c.strategy === undefined) throw new Error('the temperature column is pending (needs the student) but the batch does not name its strategy (schema metadata atkd.temperature.strategy)');
      const key = `${c.strategy}|${JSON.stringify(c.strategyOptions)}`;
      s = built.get(key);
      if (s === undefined) {
        if (!strategyNames().includes(c.strategy)) throw new Error(`the pending temperature strategy "${c.strategy}" is not registered in @atkd/temperature`);
        s = getStrategy(c.strategy, c.strategyOptions);
        built.set(key, s);
      }
    }
    if (s.finish === undefined) throw new Error(`the temperature strategy "${s.name}" cannot finish a pending temperature (it has no finish())`);
    return s.finish(c.teacher, student, c.classes);
  };
}

/**
 * What a trainer minimises: `distill` (default) the distillation loss gamma*CE + beta*T^2*KL of batches
 * that carry the stage columns; `ce` the cross-entropy of the labels alone (`atkd train`: teachers,
 * no-KD baselines), on batches with just `image` and `fine`.
 */
export type TrainerMode = 'distill' | 'ce';

export interface StudentOptions<M extends TrainerMode = 'distill'> extends SgdOptions, Omit<DistillLossOptions, 'studentTemperature' | 'lossScale'> {
  /** The loss (default `distill`). */
  mode?: M;
  /**
   * The temperature strategy instance of the temperature stage. Needed for a learnable strategy
   * (`ctkd`: after each step the student calls its `learn` with this step's logits, so the next
   * batches get the updated temperature); used to finish pending temperatures (`adaptive`, `adaptive-paired`, `dtkd`).
   */
  strategy?: TemperatureStrategy;
  /** Finishes provisional temperatures. Default: {@link strategyFinisher} of `strategy`. */
  finishTemperature?: TemperatureFinisher;
  /** Images to network input (default `toNormalizedNHWC` of `@atkd/data`: CIFAR-100 mean/std, NHWC). */
  normalize?: ImageNormalizer;
  /**
   * The distillation loss (an instance of the `@atkd/student` loss registry: `kd`, `dkd`, `mlkd`);
   * default `getLoss('kd')`. A loss with `needsStrongView` (MLKD) reads the batch's `image_strong` and
   * `teacher_logits_strong` columns and runs the student on both views.
   */
  loss?: DistillationLoss;
  /** Overrides whether the loss z-scores the logits (default: the batch's schema metadata, else true). */
  standardize?: boolean;
  /** Where the batches come from, for error messages. */
  source?: string;
}

/** The numbers of one student step. */
export interface StepMetrics {
  /** 0-based step counter of this trainer (or the batch's `atkd.step` when present). */
  step: number;
  /** Epoch of the batch (`atkd.epoch` metadata; 0 when absent). */
  epoch: number;
  /** Rows in the batch. */
  size: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Mean cross-entropy, mean T^2 KL, and gamma*ce + beta*kd (before the update). */
  loss: { ce: number; kd: number; total: number };
  /** Min / mean / max of the temperatures used. */
  temperature: { min: number; mean: number; max: number };
  /** Mean over rows of the Pearson correlation of the teacher and student logits (before the update). */
  rho: number;
  /** Top-1 accuracy of the student on the batch (training mode, before the update). */
  accuracy: number;
  /** Images per second of this step (forward, backward, update). */
  imgPerSec: number;
  /** Wall time of this step in milliseconds. */
  ms: number;
  /** Metrics recorded on the batch by earlier stages (record-batch metadata `atkd.metrics`). */
  stages: BatchMetrics;
  /** The learnable temperature's update of this step (`ctkd`), when the strategy is learnable. */
  learn?: LearnStep;
  /** The per-row (teacher) temperatures this step used, final ones where the student finished them (a copy). */
  temperatures: Float32Array;
  /** The loss's named terms (`@atkd/student` loss registry: e.g. DKD's `tckd`, `nckd`), before the update. */
  terms: Record<string, number>;
  /**
   * Rows whose scaled teacher logits leave the convergence radius at the temperature used: some
   * |t'_c| / T_b > sqrt(3) - 1 (t' z-scored when the loss standardizes; 2^-23 relative slack for the float32 column).
   */
  outsideRadius: number;
}

/** Rows of `teacher` (row-major, z-scored first when `standardize`) with some |t'| / T_b beyond the convergence radius. */
export function countOutsideRadius(teacher: Float32Array, classes: number, temperature: ArrayLike<number>, standardize: boolean, eps: number): number {
  const z = standardize ? zscore(teacher, classes, eps) : teacher;
  const limit = CONVERGENCE_RADIUS * (1 + 2 ** -23);
  let outside = 0;
  for (let b = 0; b < temperature.length; b++) {
    let m = 0;
    for (let c = 0; c < classes; c++) {
      const v = Math.abs(z[b * classes + c]);
      if (v > m) m = v;
    }
    if (m / temperature[b] > limit) outside++;
  }
  return outside;
}

/** The numbers of one cross-entropy step (`mode: 'ce'`). */
export interface CeStepMetrics extends Pick<StepMetrics, 'step' | 'epoch' | 'size' | 'lr' | 'accuracy' | 'imgPerSec' | 'ms'> {
  /** Mean cross-entropy of the labels (before the update); `total` equals `ce`. */
  loss: { ce: number; total: number };
}

/** The metrics a trainer of mode `M` returns per step. */
export type StepMetricsOf<M extends TrainerMode> = M extends 'ce' ? CeStepMetrics : StepMetrics;

/** The LayersModel's trainable variables (the tf.Variable behind each LayerVariable). */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length === 0 ? 0 : s / values.length;
}

/**
 * Top-1 accuracy of a training batch, ties broken against the true class (`topKCorrect` of
 * `@atkd/math`); NaN when a logit is not finite (a diverged step: its loss is non-finite too, and the
 * caller reports that).
 */
function accuracyOf(logits: Float32Array, labels: Uint8Array, classes: number): number {
  return batchTop1(logits, labels, classes) / labels.length;
}

/**
 * Trains `model` (the student) one batch at a time. Owns its optimizer state (momentum buffers);
 * `dispose()` frees it (the model stays the caller's). `mode: 'ce'` trains on the labels alone.
 */
export class StudentTrainer<M extends TrainerMode = 'distill'> {
  readonly model: tf.LayersModel;
  readonly optimizer: SgdMomentum;
  readonly mode: M;
  private readonly options: StudentOptions<M>;
  private readonly vars: tf.Variable[];
  private readonly finisher: TemperatureFinisher;
  private readonly loss: DistillationLoss;
  private steps = 0;
  /** The network inputs of a step (the batch, MLKD's strong view), reused: a step disposes its tensors before the next. */
  private readonly inputs = { batch: new InputBuffer(), strong: new InputBuffer() };

  constructor(model: tf.LayersModel, options: StudentOptions<M> = {}) {
    this.model = model;
    this.options = options;
    this.mode = (options.mode ?? 'distill') as M;
    this.optimizer = new SgdMomentum(options);
    this.vars = trainableVariables(model);
    this.finisher = options.finishTemperature ?? strategyFinisher(options.strategy);
    this.loss = options.loss ?? getLoss('kd');
    if (this.vars.length === 0) throw new Error('StudentTrainer: the student model has no trainable weights');
  }

  /** The model's trainable variables, in the order of its trainable weights (the optimizer's buffers follow it). */
  get variables(): readonly tf.Variable[] {
    return this.vars;
  }

  /** The temperature strategy instance this trainer finishes / trains (options.strategy), if any. */
  get strategy(): TemperatureStrategy | undefined {
    return this.options.strategy;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One SGD step on `batch`: in `distill` mode columns `image`, `fine`, `teacher_logits`, `temperature`,
   * optionally `soft_targets`; in `ce` mode `image` and `fine`. The learning rate is the schedule's at
   * the batch's epoch (`readPosition` of `@atkd/columns`; epoch 0 when absent).
   */
  step(batch: RecordBatch): StepMetricsOf<M> {
    return (this.mode === 'ce' ? this.ceStep(batch) : this.distillStep(batch)) as StepMetricsOf<M>;
  }

  private ceStep(batch: RecordBatch): CeStepMetrics {
    const started = performance.now();
    const source = this.options.source;
    const classes = this.model.outputs[0].shape[1] as number;
    const images = readImages(batch, source);
    const labels = readLabels(batch, classes, source);
    const rows = batch.numRows;
    const position = readPosition(batch);
    const epoch = position.epoch ?? 0;
    const step = position.step ?? this.steps;
    const lr = this.optimizer.lrAt(epoch);
    const input = (this.options.normalize ?? toNormalizedNHWC)(images, this.inputs.batch.take(images.length));
    if (input.length !== rows * 32 * 32 * 3) throw new RangeError(`normalize returned ${input.length} values for ${rows} images`);
    let logits: Float32Array = new Float32Array(0);
    let loss = Number.NaN;
    tf.tidy(() => {
      const x = tf.tensor4d(input, [rows, 32, 32, 3]);
      const y = tf.tensor1d(labels, 'int32');
      const { value, grads } = tf.variableGrads(() => {
        const out = this.model.apply(x, { training: true }) as tf.Tensor2D;
        logits = out.dataSync() as Float32Array;
        return tf.mean(crossEntropyPerRowTf(out, y)) as tf.Scalar;
      }, this.vars);
      this.optimizer.apply(this.vars, grads, lr);
      loss = value.dataSync()[0];
    });
    this.steps += 1;
    const ms = performance.now() - started;
    return { step, epoch, size: rows, lr, loss: { ce: loss, total: loss }, accuracy: accuracyOf(logits, labels, classes), imgPerSec: ms > 0 ? (rows * 1000) / ms : Infinity, ms };
  }

  private distillStep(batch: RecordBatch): StepMetrics {
    const started = performance.now();
    const source = this.options.source;
    const cols = readDistillColumns(batch, source);
    const images = readImages(batch, source);
    const labels = readLabels(batch, cols.classes, source);
    const rows = batch.numRows;
    const position = readPosition(batch);
    const epoch = position.epoch ?? 0;
    const step = position.step ?? this.steps;
    const lr = this.optimizer.lrAt(epoch);
    const standardize = this.options.standardize ?? cols.standardize;
    const outShape = this.model.outputs[0].shape;
    if (outShape.length !== 2 || outShape[1] !== cols.classes) {
      throw new RangeError(`the student outputs shape [${outShape.join(', ')}], the teacher_logits column has ${cols.classes} classes`);
    }
    const input = (this.options.normalize ?? toNormalizedNHWC)(images, this.inputs.batch.take(images.length));
    if (input.length !== rows * 32 * 32 * 3) throw new RangeError(`normalize returned ${input.length} values for ${rows} images`);

    const strategy = this.options.strategy;
    const learnable = strategy !== undefined && isLearnable(strategy) ? strategy : undefined;
    if (learnable === undefined && cols.learnable) {
      throw new Error(`the temperature strategy "${cols.strategy}" is learnable: give the student stage the strategy instance (options.strategy) so that it can update it`);
    }

    const loss = this.loss;
    const normalize = this.options.normalize ?? toNormalizedNHWC;
    let strongView: { input: Float32Array; teacher: Float32Array } | undefined;
    if (loss.needsStrongView) {
      for (const name of [IMAGE_STRONG, TEACHER_LOGITS_STRONG]) {
        if (!hasColumn(batch.schema, name)) throw new ColumnError(name, `is missing: loss "${loss.name}" needs the strong view of every batch (distill with strongView, which adds ${IMAGE_STRONG}; the teacher stage adds ${TEACHER_LOGITS_STRONG})`, { source });
      }
      const strongImages = readImages(batch, source, IMAGE_STRONG);
      strongView = { input: normalize(strongImages, this.inputs.strong.take(strongImages.length)), teacher: readLogits(batch, TEACHER_LOGITS_STRONG, cols.classes, source).values };
    }

    interface Temps { teacher: ArrayLike<number>; student?: ArrayLike<number>; lossScale?: ArrayLike<number> }
    const kept: { logits?: tf.Tensor; parts?: tf.Tensor; terms?: tf.Tensor; temps: Temps } = { temps: { teacher: cols.temperature } };
    if (cols.studentTemperature !== undefined) {
      const scale = new Float32Array(rows);
      for (let i = 0; i < rows; i++) scale[i] = cols.temperature[i] * cols.studentTemperature[i];
      kept.temps = { teacher: cols.temperature, student: cols.studentTemperature, lossScale: scale };
    }
    const gamma = this.options.gamma ?? DEFAULT_GAMMA;
    const beta = this.options.beta ?? DEFAULT_BETA;
    let studentLogits: Float32Array;
    let parts: Float32Array;
    let termValues: Float32Array = new Float32Array(0);
    try {
      tf.tidy(() => {
        const x = tf.tensor4d(input, [rows, 32, 32, 3]);
        const y = tf.tensor1d(labels, 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const logits = this.model.apply(x, { training: true }) as tf.Tensor2D;
          kept.logits = tf.keep(logits);
          let softTargets: tf.Tensor2D | undefined;
          if (cols.pending) {
            const fin = this.finisher(cols, logits.dataSync() as Float32Array);
            for (const [k, v] of Object.entries(fin)) {
              if ((v as ArrayLike<number>).length !== rows) throw new RangeError(`the temperature finisher returned ${(v as ArrayLike<number>).length} ${k} values for ${rows} rows`);
            }
            kept.temps = fin;
            // the soft-targets stage's own function, at the finished temperature (same method and z-score as the batch)
            if (loss.usesSoftTargets) softTargets = tf.tensor2d(computeSoftTargets(cols.teacher, cols.classes, fin.teacher, { order: cols.taylorOrder, standardize: cols.standardize, eps: cols.eps }).targets, [rows, cols.classes]);
          } else if (cols.softTargets !== undefined && loss.usesSoftTargets) {
            softTargets = tf.tensor2d(cols.softTargets, [rows, cols.classes]);
          }
          const t = kept.temps;
          let strong: LossInputs['strong'];
          if (strongView !== undefined) {
            const strongLogits = this.model.apply(tf.tensor4d(strongView.input, [rows, 32, 32, 3]), { training: true }) as tf.Tensor2D;
            const strongT = this.strongTemperatures(cols, strongView.teacher, strongLogits.dataSync() as Float32Array, epoch);
            strong = { student: strongLogits, teacher: tf.tensor2d(strongView.teacher, [rows, cols.classes]), temperature: tf.tensor1d(strongT) };
          }
          const out = loss.compute(
            {
              student: logits,
              teacher: tf.tensor2d(cols.teacher, [rows, cols.classes]),
              labels: y,
              temperature: tf.tensor1d(Float32Array.from(t.teacher)),
              studentTemperature: t.student === undefined ? undefined : tf.tensor1d(Float32Array.from(t.student)),
              lossScale: t.lossScale === undefined ? undefined : tf.tensor1d(Float32Array.from(t.lossScale)),
              softTargets,
              standardize,
              eps: cols.eps,
              epoch,
              strong,
            },
            { gamma, beta },
          );
          kept.parts = tf.keep(tf.stack([out.ce, out.kd, out.total]));
          if (loss.termNames.length > 0) kept.terms = tf.keep(tf.stack(loss.termNames.map((n) => out.terms[n])));
          return out.total;
        }, this.vars);
        this.optimizer.apply(this.vars, grads, lr);
        value.dispose();
      });
      studentLogits = kept.logits!.dataSync() as Float32Array;
      parts = kept.parts!.dataSync() as Float32Array;
      if (kept.terms !== undefined) termValues = kept.terms.dataSync() as Float32Array;
    } finally {
      kept.logits?.dispose();
      kept.parts?.dispose();
      kept.terms?.dispose();
    }
    const temperatureUsed = kept.temps.teacher;
    const learn = learnable?.learn(cols.teacher, studentLogits, cols.classes, { epoch: epoch + 1, learningRate: lr });
    this.steps += 1;

    let tMin = Infinity;
    let tMax = -Infinity;
    for (let i = 0; i < temperatureUsed.length; i++) {
      tMin = Math.min(tMin, temperatureUsed[i]);
      tMax = Math.max(tMax, temperatureUsed[i]);
    }
    const ms = performance.now() - started;
    return {
      step,
      epoch,
      size: rows,
      lr,
      loss: { ce: parts[0], kd: parts[1], total: parts[2] },
      temperature: { min: tMin, mean: meanOf(temperatureUsed), max: tMax },
      rho: meanOf(pearson(cols.teacher, studentLogits, cols.classes)),
      accuracy: accuracyOf(studentLogits, labels, cols.classes), // NaN when a logit is not finite (the loss is then non-finite too)
      imgPerSec: ms > 0 ? (rows * 1000) / ms : Infinity,
      ms,
      stages: readBatchMetrics(batch),
      ...(learn === undefined ? {} : { learn }),
      temperatures: Float32Array.from(temperatureUsed),
      terms: Object.fromEntries(loss.termNames.map((n, i) => [n, termValues[i]])),
      outsideRadius: countOutsideRadius(cols.teacher, cols.classes, temperatureUsed, standardize, cols.eps),
    };
  }

  /**
   * The strong view's temperatures (MLKD): the strategy (the instance given, else the one the batch names)
   * applied to the strong view's teacher and student logits: final for strategies that need the student.
   */
  private strongTemperatures(cols: DistillColumns, teacher: Float32Array, student: Float32Array, epoch: number): Float32Array {
    let s = this.options.strategy;
    if (s === undefined) {
      if (cols.strategy === undefined) throw new Error('the strong view needs its own temperatures, but the batch does not name its strategy (schema metadata atkd.temperature.strategy) and no strategy instance was given');
      if (!strategyNames().includes(cols.strategy)) throw new Error(`the temperature strategy "${cols.strategy}" is not registered in @atkd/temperature`);
      s = getStrategy(cols.strategy, cols.strategyOptions);
    }
    const T = s.compute(teacher, cols.classes, student, { epoch: epoch + 1 });
    if (T.length !== cols.rows) throw new RangeError(`strategy "${s.name}" returned ${T.length} strong-view temperatures for ${cols.rows} rows`);
    return T;
  }

  /** Frees the optimizer state (the model is left alone). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/**
 * Top-1 hits of a training batch, ties broken against the true class ({@link topKCorrect}); NaN when
 * a logit is not finite (a diverged step: its loss is non-finite too, and the caller reports that).
 */
export function batchTop1(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  try {
    return topKCorrect(logits, labels, classes, 1, 'student logits');
  } catch (e) {
    if (e instanceof RangeError && /is (NaN|-?Infinity): logits must be finite/.test(e.message)) return Number.NaN;
    throw e;
  }
}
