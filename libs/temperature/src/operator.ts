import {
  META,
  readLogits,
  STUDENT_LOGITS,
  STUDENT_TEMPERATURE,
  TEACHER_LOGITS,
  TEMPERATURE,
  checkFiniteColumn,
  hasColumn,
  readPosition,
  temperatureMetaEntries,
  withBatchMetrics,
  withFloat32Column,
  withSchemaMetadata,
  type AddColumns,
  type Batch,
  type StageColumn,
} from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { map, type Observable } from 'rxjs';
import type { TemperatureContext, TemperatureStrategy } from './strategy.js';

/** Options of {@link addTemperature} / {@link withTemperature}. */
export interface TemperatureStageOptions {
  /** Expected classes (checked against the `teacher_logits` list size). */
  classes?: number;
  /** Names the input in errors (e.g. `stdin`). */
  source?: string;
  /** Use a `student_logits` column when the batch has one (default true): then `needsStudent` strategies are final here. */
  useStudentColumn?: boolean;
  /**
   * Training position for scheduled strategies. Default: read from each batch: the epoch its
   * position carries (`atkd.epoch` record-batch metadata, `withPosition` of `@atkd/columns`; 0-based
   * there, 1-based in the context), none when the batch carries no position.
   */
  context?: TemperatureContext | (() => TemperatureContext);
}

/** The context a batch carries: its epoch (1-based), when it has a position. */
function batchContext(batch: RecordBatch): TemperatureContext | undefined {
  const { epoch } = readPosition(batch);
  return epoch === undefined ? undefined : { epoch: epoch + 1 };
}

/**
 * Adds the strategy's per-row temperatures to one batch (plain function behind {@link addTemperature}).
 *
 * Reads `teacher_logits` (FixedSizeList<Float32>[classes]) and, for a strategy that needs the student,
 * `student_logits` when present. Writes `temperature: Float32` (and `student_temperature` for
 * strategies with a separate student temperature), the schema metadata of the strategy
 * (`atkd.temperature.*`, incl. `standardize` and `pending = "student"` when provisional) and batch
 * metrics `temperature.min|mean|max` (and `temperature.pending`). Every other column passes through.
 */
export function withTemperature<C extends StageColumn = never>(batch: Batch<C | typeof TEACHER_LOGITS>, strategy: TemperatureStrategy, options: TemperatureStageOptions = {}): Batch<C | typeof TEACHER_LOGITS | typeof TEMPERATURE> {
  const { values: teacher, classes } = readLogits(batch, TEACHER_LOGITS, options.classes, options.source);
  checkFiniteColumn(TEACHER_LOGITS, teacher, classes, options.source);
  let student: Float32Array | undefined;
  if (strategy.needsStudent && (options.useStudentColumn ?? true) && hasColumn(batch.schema, STUDENT_LOGITS)) {
    student = readLogits(batch, STUDENT_LOGITS, classes, options.source).values;
    checkFiniteColumn(STUDENT_LOGITS, student, classes, options.source);
  }
  const context = typeof options.context === 'function' ? options.context() : (options.context ?? batchContext(batch));
  const t = strategy.compute(teacher, classes, student, context);
  let out = withFloat32Column(batch, TEMPERATURE, t);
  if (strategy.computeStudent !== undefined) out = withFloat32Column(out, STUDENT_TEMPERATURE, strategy.computeStudent(teacher, classes, student, context));
  const pending = strategy.needsStudent && student === undefined ? 'student' : undefined;
  out = withSchemaMetadata(out, {
    ...temperatureMetaEntries({ strategy: strategy.name, standardize: strategy.standardizes, eps: strategy.eps, pending, options: strategy.options, learnable: strategy.learnable === true }),
    [META.softTargetsMethod]: undefined,
    [META.softTargetsOrder]: undefined,
  });
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] < min) min = t[i];
    if (t[i] > max) max = t[i];
    sum += t[i];
  }
  return withBatchMetrics(out, {
    'temperature.min': t.length > 0 ? min : null,
    'temperature.mean': t.length > 0 ? sum / t.length : null,
    'temperature.max': t.length > 0 ? max : null,
    'temperature.pending': pending !== undefined,
  });
}

/**
 * The temperature stage: an RxJS operator adding the `temperature` column (see {@link withTemperature})
 * to every record batch, one batch out per batch in, synchronously. The strategy instance is shared
 * by every batch (a learnable strategy's current value is used for each).
 */
export function addTemperature(strategy: TemperatureStrategy, options: TemperatureStageOptions = {}): AddColumns<typeof TEACHER_LOGITS, typeof TEMPERATURE> {
  return <C extends StageColumn = never>(source: Observable<Batch<C | typeof TEACHER_LOGITS>>) => source.pipe(map((batch) => withTemperature<C>(batch, strategy, options)));
}
