/**
 * @atkd/columns — the typed Arrow column contract shared by the atkd distillation stages.
 * See README.md for the contract (column names, types, metadata) and the API.
 */
export { BATCH_META, IMAGE, IMAGE_STRONG, LABEL, META, SOFT_TARGETS, STAGE_COLUMNS, STUDENT_LOGITS, STUDENT_TEMPERATURE, TEACHER_LOGITS, TEACHER_LOGITS_STRONG, TEMPERATURE, type StageColumn } from './names.js';
export type { AddColumns, Batch } from './batch-type.js';
export { ColumnError, IpcError, MetadataError } from './errors.js';
export { checkClasses, describeType, isFixedSizeBinaryType, isFloat32Type, isLogitsType, isUintType, logitsType, temperatureType } from './types.js';
export { hasColumn, requireField, requireFloat32Column, requireLogitsColumn } from './schema.js';
export { checkFiniteColumn, readFloat32, readLogits, type LogitsColumn } from './read.js';
export { readImages, withImageColumn } from './images.js';
export { float32Data, logitsData, withBatchMetadata, withColumn, withFloat32Column, withLogitsColumn, withoutColumn, withSchemaMetadata } from './write.js';
export { readBatchMetrics, withBatchMetrics, type BatchMetrics } from './metrics.js';
export { readPosition, withPosition, type StreamPosition } from './position.js';
export { DEFAULT_ZSCORE_EPS, readTemperatureMeta, temperatureMetaEntries, type TemperatureMeta } from './metadata.js';
export {
  checkSameFields,
  decodeIpcStream,
  encodeIpcStream,
  openIpcStream,
  readIpcStream,
  runIpcFilter,
  throughOperator,
  writeIpcStream,
  type ByteSource,
  type FilterSummary,
  type IpcInput,
  type WriteSummary,
} from './ipc.js';
