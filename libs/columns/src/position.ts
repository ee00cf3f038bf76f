/**
 * A batch's position in the stream (record-batch metadata `atkd.epoch`, `atkd.step`): written where
 * batches enter the pipeline, read by the stages that depend on it (the student's learning-rate
 * schedule, a learnable temperature's epoch).
 */
import type { RecordBatch } from 'apache-arrow';
import { MetadataError } from './errors.js';
import { BATCH_META } from './names.js';
import { withBatchMetadata } from './write.js';

/** The epoch and the step (batch counter over all epochs) of a batch, both 0-based. */
export interface StreamPosition {
  epoch: number;
  step: number;
}

function wholeNumber(batch: RecordBatch, key: string): number | undefined {
  const raw = batch.metadata.get(key);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new MetadataError('record-batch', key, raw, `must be a whole number, got ${JSON.stringify(raw)}`);
  return v;
}

/** The position recorded on `batch`; a key that is absent is undefined. Throws on a value that is not a whole number. */
export function readPosition(batch: RecordBatch): Partial<StreamPosition> {
  const epoch = wholeNumber(batch, BATCH_META.epoch);
  const step = wholeNumber(batch, BATCH_META.step);
  return { ...(epoch === undefined ? {} : { epoch }), ...(step === undefined ? {} : { step }) };
}

/** A new batch (columns shared) carrying `position` as record-batch metadata. */
export function withPosition(batch: RecordBatch, position: StreamPosition): RecordBatch {
  return withBatchMetadata(batch, { [BATCH_META.epoch]: String(position.epoch), [BATCH_META.step]: String(position.step) });
}
