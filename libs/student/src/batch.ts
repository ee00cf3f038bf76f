/**
 * Reading the columns the student stage needs from an Arrow record batch (zero-copy where possible).
 */
import { ColumnError, META, isUintType, SOFT_TARGETS, STUDENT_TEMPERATURE, TEACHER_LOGITS, TEMPERATURE, hasColumn, readFloat32, readImages, readLogits, readTemperatureMeta, requireField } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';

/** The `image` column as one Uint8Array view (the `@atkd/columns` reader; errors name the column). */
export { readImages };

/** The `fine` label column (Uint8) as a Uint8Array view; labels must be < classes. */
export function readLabels(batch: RecordBatch, classes: number, source?: string): Uint8Array {
  const field = requireField(batch.schema, 'fine', source);
  if (!isUintType(field.type, 8)) throw new ColumnError('fine', `has type ${String(field.type)}, expected Uint8`, { source });
  const vector = batch.getChild('fine');
  if (vector === null || vector.data.length !== 1) throw new ColumnError('fine', 'is not a single-chunk column', { source });
  const data = vector.data[0];
  // arrow-js slices the value buffer itself (data.offset only matters for the validity bitmap)
  const labels = (data.values as Uint8Array).subarray(0, data.length);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new ColumnError('fine', `row ${i} has label ${labels[i]}, outside 0..${classes - 1}`, { source });
  }
  return labels;
}

/** The student stage's view of a batch: teacher logits, temperatures, soft targets (when final), flags. */
export interface DistillColumns {
  rows: number;
  classes: number;
  teacher: Float32Array;
  temperature: Float32Array;
  /** The `student_temperature` column (strategies with a separate student temperature, e.g. `dtkd`), when final. */
  studentTemperature?: Float32Array;
  /** Present when the batch has a `soft_targets` column and its temperature is final. */
  softTargets?: Float32Array;
  /** Whether the strategy works on z-scored logits (schema metadata `atkd.temperature.standardize`; false when absent). */
  standardize: boolean;
  /** Epsilon of the z-score (schema metadata; default 1e-7). */
  eps: number;
  /** Name of the temperature strategy (schema metadata), if recorded. */
  strategy?: string;
  /** The strategy is learnable (schema metadata `atkd.temperature.learnable`): the trainer must hold its instance. */
  learnable: boolean;
  /** The strategy's options (schema metadata), `{}` when not recorded. */
  strategyOptions: Record<string, unknown>;
  /** True when the temperature column is provisional and the student must finish it. */
  pending: boolean;
  /** Taylor order of the soft targets when the soft-targets stage used Taylor. */
  taylorOrder?: number;
}

function checkPositive(name: string, values: Float32Array, source?: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] > 0) || !Number.isFinite(values[i])) {
      throw new ColumnError(name, `row ${i} is ${values[i]}; temperatures must be finite and > 0`, { source });
    }
  }
}

/** Reads and checks everything the distillation loss needs. Errors name the column. */
export function readDistillColumns(batch: RecordBatch, source?: string): DistillColumns {
  const teacher = readLogits(batch, TEACHER_LOGITS, undefined, source);
  const temperature = readFloat32(batch, TEMPERATURE, source);
  checkPositive(TEMPERATURE, temperature, source);
  const md = batch.schema.metadata;
  const meta = readTemperatureMeta(batch.schema);
  const pending = meta.pending === 'student';
  const cols: DistillColumns = {
    rows: teacher.rows,
    classes: teacher.classes,
    teacher: teacher.values,
    temperature,
    standardize: meta.standardize,
    eps: meta.eps,
    pending,
    strategyOptions: meta.options,
    learnable: meta.learnable,
  };
  if (meta.strategy !== undefined) cols.strategy = meta.strategy;
  const orderRaw = md.get(META.softTargetsOrder);
  if (md.get(META.softTargetsMethod) === 'taylor' && orderRaw !== undefined) {
    const order = Number(orderRaw);
    if (!Number.isInteger(order) || order < 0) throw new RangeError(`schema metadata "${META.softTargetsOrder}" must be a whole number, got ${JSON.stringify(orderRaw)}`);
    cols.taylorOrder = order;
  }
  if (!pending && hasColumn(batch.schema, STUDENT_TEMPERATURE)) {
    cols.studentTemperature = readFloat32(batch, STUDENT_TEMPERATURE, source);
    checkPositive(STUDENT_TEMPERATURE, cols.studentTemperature, source);
  }
  if (!pending && hasColumn(batch.schema, SOFT_TARGETS)) cols.softTargets = readLogits(batch, SOFT_TARGETS, teacher.classes, source).values;
  return cols;
}
