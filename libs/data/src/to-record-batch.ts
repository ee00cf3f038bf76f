import type { RecordBatch } from 'apache-arrow';
import { columnsToRecordBatch } from './arrow-io.js';
import type { CifarBatch } from './batches.js';

/**
 * The batch as an Arrow record batch with the file's schema (`index`, `image`, `fine`, `coarse` and the
 * same metadata), sharing the batch's typed arrays (no copy). Images are as in the batch (augmented if
 * the source augments).
 */
export function toRecordBatch(batch: CifarBatch): RecordBatch {
  return columnsToRecordBatch(batch.schema, { length: batch.size, indices: batch.indices, images: batch.images, fine: batch.fine, coarse: batch.coarse });
}
