import {
  checkFiniteColumn,
  META,
  readFloat32,
  readLogits,
  readTemperatureMeta,
  SOFT_TARGETS,
  TEACHER_LOGITS,
  TEMPERATURE,
  withBatchMetrics,
  withLogitsColumn,
  withSchemaMetadata,
  ColumnError,
  type AddColumns,
  type Batch,
  type StageColumn,
} from '@atkd/columns';
import { map, type Observable } from 'rxjs';
import { computeSoftTargets } from './soft-targets.js';

/** Options of the soft-targets stage. */
export interface SoftTargetsStageOptions {
  /** Taylor order; undefined: exact softmax. */
  order?: number;
  /** Expected classes (checked against the list size). */
  classes?: number;
  /** Override the stream's `atkd.temperature.standardize` metadata (default: follow it). */
  standardize?: boolean;
  /** Names the input in errors (e.g. `stdin`). */
  source?: string;
}

/**
 * Adds `soft_targets` (FixedSizeList<Float32>[classes]) to one batch (the plain function behind
 * {@link addSoftTargets}). Reads `teacher_logits` and `temperature`; z-scores the logits when the schema
 * metadata says the temperature strategy standardizes (`atkd.temperature.standardize = "true"`, with
 * its eps). Records `atkd.soft_targets.method` / `.order` in the schema metadata and merges batch
 * metrics: `soft_targets.outside_radius` (rows with some |x| > sqrt(3) - 1), `soft_targets.rows`,
 * `soft_targets.max_abs_scaled`, `soft_targets.pending` (computed at a provisional temperature that
 * the student stage finishes). Every other column passes through.
 */
export function withSoftTargets<C extends StageColumn = never>(batch: Batch<C | typeof TEACHER_LOGITS | typeof TEMPERATURE>, options: SoftTargetsStageOptions = {}): Batch<C | typeof TEACHER_LOGITS | typeof TEMPERATURE | typeof SOFT_TARGETS> {
  const { values: logits, classes } = readLogits(batch, TEACHER_LOGITS, options.classes, options.source);
  checkFiniteColumn(TEACHER_LOGITS, logits, classes, options.source);
  const temps = readFloat32(batch, TEMPERATURE, options.source);
  for (let b = 0; b < temps.length; b++) {
    if (!(temps[b] > 0) || !Number.isFinite(temps[b])) {
      throw new ColumnError(TEMPERATURE, `has ${temps[b]} at row ${b}; temperatures must be finite and > 0`, { source: options.source });
    }
  }
  let meta;
  try {
    meta = readTemperatureMeta(batch.schema);
  } catch (cause) {
    throw new Error(`${options.source === undefined ? '' : `${options.source}: `}${(cause as Error).message}`, { cause });
  }
  const standardize = options.standardize ?? meta.standardize;
  const result = computeSoftTargets(logits, classes, temps, { order: options.order, standardize, eps: meta.eps });
  let out = withLogitsColumn(batch, SOFT_TARGETS, result.targets, classes);
  out = withSchemaMetadata(out, {
    [META.softTargetsMethod]: options.order === undefined ? 'exact' : 'taylor',
    [META.softTargetsOrder]: options.order === undefined ? undefined : String(options.order),
  });
  return withBatchMetrics(out, {
    'soft_targets.outside_radius': result.outsideRadius,
    'soft_targets.rows': temps.length,
    'soft_targets.max_abs_scaled': result.maxAbsScaled,
    'soft_targets.standardized': standardize,
    'soft_targets.pending': meta.pending !== undefined,
  });
}

/**
 * The soft-targets stage as an RxJS operator: `addSoftTargets({ order })` adds the `soft_targets` column
 * to every batch (see {@link withSoftTargets}); exact softmax unless `order` asks for Taylor.
 */
export function addSoftTargets(options: SoftTargetsStageOptions = {}): AddColumns<typeof TEACHER_LOGITS | typeof TEMPERATURE, typeof SOFT_TARGETS> {
  if (options.order !== undefined) computeSoftTargets(new Float32Array(2), 2, [1], { order: options.order }); // validate the order now
  return <C extends StageColumn = never>(source: Observable<Batch<C | typeof TEACHER_LOGITS | typeof TEMPERATURE>>) => source.pipe(map((batch) => withSoftTargets<C>(batch, options)));
}
