/**
 * @atkd/pipeline — the atkd distillation stages composed into one backpressured, cancellable
 * Observable: source -> teacher logits -> temperatures -> soft targets -> student updates.
 * See README.md (and the column contract of @atkd/columns).
 */
export { STAGES, distill, type BatchStage, type DistillOptions, type DistillStep, type StageName } from './distill.js';
export { skipWhenPresent } from './skip-when-present.js';
export { HoldQueue, releaseInOrder, type Held, type HoldEntry } from './in-order-holds.js';
export { workerScriptUrl, workerStage, type WorkerStageSpec } from './worker-stage.js';
export { softTargetsStageFactory, temperatureStageFactory } from './factories.js';
export { teacherStageFactory } from './teacher-factory.js';
