import type { RecordBatch } from 'apache-arrow';
import { MetadataError } from './errors.js';
import { BATCH_META } from './names.js';
import { withBatchMetadata } from './write.js';

/** A batch's metrics: JSON-serialisable values keyed by `<stage>.<name>`, e.g. `soft_targets.outside_radius`. */
export type BatchMetrics = Record<string, number | string | boolean | null>;

/**
 * The metrics attached to a batch (record-batch metadata key `atkd.metrics`, a JSON object), or `{}`.
 * Throws if the key holds something other than a JSON object.
 */
export function readBatchMetrics(batch: RecordBatch): BatchMetrics {
  const raw = batch.metadata.get(BATCH_META.metrics);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new MetadataError('record-batch', BATCH_META.metrics, raw, `is not JSON: ${raw.slice(0, 80)}`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MetadataError('record-batch', BATCH_META.metrics, raw, 'must be a JSON object');
  }
  return parsed as BatchMetrics;
}

/**
 * A new batch (columns shared) whose metrics are the old ones merged with `metrics` (new keys win).
 * Stored as record-batch metadata, so they travel with the batch through Arrow IPC.
 */
export function withBatchMetrics(batch: RecordBatch, metrics: BatchMetrics): RecordBatch {
  const merged = { ...readBatchMetrics(batch), ...metrics };
  return withBatchMetadata(batch, { [BATCH_META.metrics]: JSON.stringify(merged) });
}
