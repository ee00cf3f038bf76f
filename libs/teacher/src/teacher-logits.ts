import type * as tf from '@tensorflow/tfjs';
import { ColumnError, IMAGE_STRONG, TEACHER_LOGITS, hasColumn, isUintType, withLogitsColumn, type AddColumns, type Batch, type StageColumn } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { defer, map, type Observable } from 'rxjs';
import type { LogitsCache } from './cache.js';
import { withTeacherLogits, type TeacherOptions } from './logits.js';

export interface TeacherLogitsOptions extends TeacherOptions {
  /**
   * Logits cache to stream from instead of running the teacher (looked up by the `index` column).
   * Checked on subscription against the teacher's fingerprint (when a model is given) and, per batch,
   * against the batch's `source_sha256` / `split` schema metadata (when present).
   */
  cache?: LogitsCache;
}

function indexColumn(batch: RecordBatch, source?: string): Uint32Array {
  const v = batch.getChild('index');
  if (v === null) throw new ColumnError('index', 'is missing; the logits cache is keyed by the image index', { source });
  if (!isUintType(v.type, 32) || v.data.length !== 1) throw new ColumnError('index', `has type ${String(v.type)}, expected Uint32`, { source });
  return (v.data[0].values as Uint32Array).subarray(0, batch.numRows);
}

/**
 * The teacher stage as an RxJS operator: adds `teacher_logits` (FixedSizeList<Float32>[classes]) to each
 * record batch, computed by `model` in inference mode (no gradient, every tensor disposed before the
 * batch is emitted) or read from `options.cache`. Every other column passes through. Synchronous per
 * batch, so an upstream backpressured source sees the batch finished when `next` returns.
 * `model` may be null only with a cache.
 */
export function addTeacherLogits(model: tf.LayersModel | null, options: TeacherLogitsOptions = {}): AddColumns<never, typeof TEACHER_LOGITS> {
  const { cache } = options;
  if (model === null && cache === undefined) throw new Error('teacherLogits: give a teacher model, a logits cache, or both');
  return <C extends StageColumn = never>(source: Observable<Batch<C>>) =>
    defer(() => {
      if (cache !== undefined && model !== null) cache.verify({ model });
      let checkedData = false;
      return source.pipe(
        map((batch) => {
          if (cache === undefined) return withTeacherLogits(model!, batch, options);
          if (!checkedData) {
            const md = batch.schema.metadata;
            cache.verify({ sourceSha256: md.get('source_sha256'), split: md.get('split') });
            checkedData = true;
          }
          if (hasColumn(batch.schema, IMAGE_STRONG)) {
            throw new ColumnError(IMAGE_STRONG, 'is present but a logits cache holds the logits of the stored images only; run the teacher model for the strong view (no --cache)', { source: options.source });
          }
          return withLogitsColumn(batch, TEACHER_LOGITS, cache.lookup(indexColumn(batch, options.source)), cache.classes);
        }),
      );
    });
}

