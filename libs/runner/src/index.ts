/**
 * @atkd/runner — the epoch/checkpoint runner of atkd: `runEpochs` runs `distill()` of `@atkd/pipeline`
 * (or cross-entropy training) over epochs with evaluation, writes checkpoints at step boundaries and
 * resumes at any step. See README.md.
 */
export { initialState, runEpochs, type BatchProvider, type RunEvent, type RunOptions, type RunResult, type RunSpec, type RunState } from './runner.js';
export {
  CHECKPOINTS,
  CheckpointError,
  EPOCH_TEMPS_BIN,
  OPTIMIZER_BIN,
  STATE_JSON,
  checkpointDir,
  copyWeights,
  findCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointContents,
  type CheckpointName,
  type CheckpointState,
  type LoadedCheckpoint,
} from './checkpoint.js';
export { accumulate, histogram, newEpochAccumulator, type EpochAccumulator, type EpochRecord, type MetricRecord, type StepRecord } from './records.js';
export { seededModel } from './seeded-model.js';
