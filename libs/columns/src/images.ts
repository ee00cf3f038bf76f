import { IMAGE_BYTES } from '@atkd/data';
import type { RecordBatch } from 'apache-arrow';
import { ColumnError } from './errors.js';
import { requireField } from './schema.js';

/**
 * The `image` column of a batch (FixedSizeBinary[3072], CHW uint8 exactly as `@atkd/data` stores it)
 * as one zero-copy Uint8Array view of rows x 3072 bytes. Errors name the column (and `source`).
 */
export function readImages(batch: RecordBatch, source?: string): Uint8Array {
  const field = requireField(batch.schema, 'image', source);
  if (String(field.type) !== `FixedSizeBinary[${IMAGE_BYTES}]`) {
    throw new ColumnError('image', `has type ${String(field.type)}, expected FixedSizeBinary[${IMAGE_BYTES}]`, { source });
  }
  const vector = batch.getChild('image');
  if (vector === null || vector.data.length !== 1) throw new ColumnError('image', 'is not a single-chunk column', { source });
  const data = vector.data[0];
  if (data.nullCount > 0) throw new ColumnError('image', `has ${data.nullCount} null row(s)`, { source });
  const values = data.values as Uint8Array;
  const rows = batch.numRows;
  if (values.length < rows * IMAGE_BYTES) throw new ColumnError('image', `holds ${values.length} bytes for ${rows} rows of ${IMAGE_BYTES}`, { source });
  return values.subarray(0, rows * IMAGE_BYTES);
}
