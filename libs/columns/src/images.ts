import { IMAGE_BYTES } from '@atkd/data';
import { Field, FixedSizeBinary, makeData, type RecordBatch } from 'apache-arrow';
import { withColumn } from './write.js';
import { ColumnError } from './errors.js';
import { isFixedSizeBinaryType } from './types.js';
import { requireField } from './schema.js';

/**
 * The `image` column of a batch (FixedSizeBinary[3072], CHW uint8 exactly as `@atkd/data` stores it)
 * as one zero-copy Uint8Array view of rows x 3072 bytes, or another image column of the same type
 * (`name`, e.g. `image_strong`). Errors name the column (and `source`).
 */
export function readImages(batch: RecordBatch, source?: string, name = 'image'): Uint8Array {
  const field = requireField(batch.schema, name, source);
  if (!isFixedSizeBinaryType(field.type, IMAGE_BYTES)) {
    throw new ColumnError(name, `has type ${String(field.type)}, expected FixedSizeBinary[${IMAGE_BYTES}]`, { source });
  }
  const vector = batch.getChild(name);
  if (vector === null || vector.data.length !== 1) throw new ColumnError(name, 'is not a single-chunk column', { source });
  const data = vector.data[0];
  if (data.nullCount > 0) throw new ColumnError(name, `has ${data.nullCount} null row(s)`, { source });
  const values = data.values as Uint8Array;
  const rows = batch.numRows;
  if (values.length < rows * IMAGE_BYTES) throw new ColumnError(name, `holds ${values.length} bytes for ${rows} rows of ${IMAGE_BYTES}`, { source });
  return values.subarray(0, rows * IMAGE_BYTES);
}

/** A batch with one more image column `name` (FixedSizeBinary[3072], CHW uint8; rows x 3072 bytes, shared). */
export function withImageColumn(batch: RecordBatch, name: string, images: Uint8Array): RecordBatch {
  const rows = batch.numRows;
  if (images.length !== rows * IMAGE_BYTES) throw new RangeError(`column "${name}": ${images.length} image bytes for ${rows} rows of ${IMAGE_BYTES}`);
  const type = new FixedSizeBinary(IMAGE_BYTES);
  return withColumn(batch, new Field(name, type, false), makeData({ type, length: rows, nullCount: 0, data: images }));
}
