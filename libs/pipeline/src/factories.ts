/**
 * Light stage factories with serialisable arguments, for `workerStage` (a worker builds its stage from
 * them). Importable alone as `@atkd/pipeline/factories` (no TensorFlow.js), so a worker starts fast.
 */
import { addSoftTargets, type SoftTargetsStageOptions } from '@atkd/soft-targets';
import { getStrategy, addTemperature } from '@atkd/temperature';
import type { RecordBatch } from 'apache-arrow';
import type { OperatorFunction } from 'rxjs';

type Stage = OperatorFunction<RecordBatch, RecordBatch>;

/** The temperature stage of strategy `name` (registry of `@atkd/temperature`) with `options`. */
export function temperatureStageFactory(name: string, options: Record<string, unknown> = {}): Stage {
  return addTemperature(getStrategy(name, options));
}

/** The soft-targets stage with `options` (`{ order }` for Taylor). */
export function softTargetsStageFactory(options: SoftTargetsStageOptions = {}): Stage {
  return addSoftTargets(options);
}
