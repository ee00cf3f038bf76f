/**
 * The column contract of the atkd distillation pipeline: the names every stage agrees on.
 * Data columns (`index`, `image`, `fine`, `coarse`) come from `@atkd/data`; the stages add these.
 */

/** Teacher logits, FixedSizeList<Float32>[classes], one row per image (added by the teacher stage). */
export const TEACHER_LOGITS = 'teacher_logits';
/** Student logits, FixedSizeList<Float32>[classes] (optional: only where a stage records them). */
export const STUDENT_LOGITS = 'student_logits';
/** Soft targets (the teacher's distribution at the row's temperature), FixedSizeList<Float32>[classes]. */
export const SOFT_TARGETS = 'soft_targets';
/** Per-row temperature, Float32 (added by the temperature stage). */
export const TEMPERATURE = 'temperature';
/** Per-row student temperature, Float32 (only strategies with a separate student temperature: `dtkd`). */
export const STUDENT_TEMPERATURE = 'student_temperature';
/** The fine label column of `@atkd/data` (Uint8). */
export const LABEL = 'fine';
/** The image column of `@atkd/data` (FixedSizeBinary[3072], CHW uint8). */
export const IMAGE = 'image';
/**
 * MLKD's strong view of each image (FixedSizeBinary[3072], CHW uint8: RandAugment(2, 10) + Cutout after its
 * own crop and flip, `@atkd/data` `strongAugmentBatch`); added where batches enter the pipeline when the
 * distillation loss needs it.
 */
export const IMAGE_STRONG = 'image_strong';
/** The teacher's logits on `image_strong`, FixedSizeList<Float32>[classes] (added by the teacher stage when `image_strong` is present). */
export const TEACHER_LOGITS_STRONG = 'teacher_logits_strong';

/** Every stage column name, for listings and error messages. */
export const STAGE_COLUMNS = [TEACHER_LOGITS, STUDENT_LOGITS, SOFT_TARGETS, TEMPERATURE, STUDENT_TEMPERATURE, IMAGE_STRONG, TEACHER_LOGITS_STRONG] as const;
export type StageColumn = (typeof STAGE_COLUMNS)[number];

/**
 * Schema metadata keys written by the stages (schema metadata travels once per Arrow IPC stream,
 * so it describes every batch of the stream). Values are strings.
 */
export const META = {
  /** Name of the temperature strategy that wrote the `temperature` column (e.g. `adaptive`). */
  temperatureStrategy: 'atkd.temperature.strategy',
  /** `"true"` when the strategy works on z-scored logits (soft targets and KD loss must z-score too), else `"false"`. */
  standardize: 'atkd.temperature.standardize',
  /** Epsilon of that z-score, as a decimal string (default 1e-7). */
  zscoreEps: 'atkd.temperature.eps',
  /**
   * Set to `"student"` when the `temperature` column is provisional and the student stage must finish it
   * (`adaptive`, `adaptive-paired`, `dtkd`: they need the student's logits). Absent when the column is final.
   */
  temperaturePending: 'atkd.temperature.pending',
  /** The strategy's options as JSON (e.g. `{"temperature":4}`), for provenance. */
  temperatureOptions: 'atkd.temperature.options',
  /**
   * `"true"` when the strategy is learnable (`ctkd`): the student stage must be given the strategy
   * instance to train it (it refuses such a batch otherwise). Absent for the other strategies.
   */
  temperatureLearnable: 'atkd.temperature.learnable',
  /** Soft targets: `"exact"` or `"taylor"`. */
  softTargetsMethod: 'atkd.soft_targets.method',
  /** Soft targets: Taylor order (decimal string), only when the method is `taylor`. */
  softTargetsOrder: 'atkd.soft_targets.order',
} as const;

/**
 * Record-batch (per-batch) metadata keys. Arrow IPC carries them per batch message, so they survive
 * a process boundary together with the batch they describe.
 */
export const BATCH_META = {
  /** JSON object of the batch's metrics, merged by every stage (see `readBatchMetrics`). */
  metrics: 'atkd.metrics',
  /** 0-based epoch of the batch (decimal string; see `readPosition`). */
  epoch: 'atkd.epoch',
  /** 0-based batch counter over all epochs (decimal string). */
  step: 'atkd.step',
} as const;
