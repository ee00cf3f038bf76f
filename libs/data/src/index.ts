export * from './errors.js';
export * from './schema.js';
export * from './paths.js';
export { tarEntries, type TarEntry } from './tar.js';
export { parseLabelNames, RecordParser, type RecordColumns } from './records.js';
export { CifarArrowFile, columnsToRecordBatch, recordBatchToColumns, writeCifarArrow, type CifarColumns, type ReadEvent } from './arrow-io.js';
export { importCifar100, type ImportOptions, type ImportProgress, type ImportResult } from './import.js';
export { cifarBatches, epochLength, type BatchPosition, type CifarBatch, type CifarBatchOptions, type BatchReadEvent, type EpochLengthOptions } from './batches.js';
export { concatMapBatch } from './concat-map-batch.js';
export { holdCounter, type HoldCounter, type Holdable } from './holds.js';
export { toRecordBatch } from './to-record-batch.js';
export {
  toNormalizedNHWC,
  CIFAR100_MEAN,
  CIFAR100_STD,
  REPDISTILLER_MEAN,
  REPDISTILLER_STD,
  INPUT_NORMALIZATIONS,
  INPUT_NORMALIZATION_NAMES,
  makeNormalizer,
  InputBuffer,
  normalizerFor,
  type InputNormalization,
  type InputNormalizationName,
  type Normalizer,
  type ImageNormalizer,
} from './normalize.js';
export { augmentImage, augmentBatch, drawAugment, CROP_PADDING, type AugmentParams } from './augment.js';
export { epochPermutation, mixSeed, mulberry32 } from './rng.js';
export { fetchCifar100, CIFAR100_URL, CIFAR100_MD5, ARCHIVE_NAME, type FetchOptions, type FetchResult } from './fetch.js';
export { ProgressBar, clock, formatProgress, type ProgressBarOptions, type ProgressLine, type ProgressUpdate } from './progress.js';
export { makeSample, stratifiedRows, type SampleOptions } from './sample.js';
export {
  affineNearest,
  autoContrast,
  brightness,
  color,
  contrast,
  CUTOUT_COLOR,
  cutoutInPlace,
  equalize,
  identity,
  posterize,
  rotate,
  sharpness,
  shearX,
  shearY,
  solarize,
  translateX,
  translateY,
  type ImageOp,
} from './image-ops.js';
export { CUTOUT_MAX_FRACTION, RAND_AUGMENT_N, RAND_AUGMENT_OPS, randAugmentImage, STREAM_STRONG, strongAugmentBatch, type RandAugmentOp, type StrongAugmentDraw } from './strong-augment.js';
