/**
 * @atkd/math — the math of adaptive-temperature knowledge distillation (Matsuyama et al. 2025),
 * pure TypeScript over row-major B x C batches (Float32Array or Float64Array), float64
 * accumulation, results as Float64Array. See README.md for the API and the derivations.
 */
export { topKCorrect } from './accuracy.js';
export { CONVERGENCE_RADIUS, DEGENERATE_TEMPERATURE, TEMPERATURE_SCALE } from './constants.js';
export { correlationLimit, pearson } from './correlation.js';
export { DKD_DEFAULTS, dkdLoss, dkdLossPerRow, type DkdLossOptions } from './dkd-loss.js';
export { kdLoss, kdLossPerRow, type KdLossOptions, type KdTemperature } from './kd-loss.js';
export {
  batchConsistencyLoss,
  classConsistencyLoss,
  median,
  MLKD_EXTRA_TEMPERATURES,
  MLKD_STRONG_FROM_WEAK_INDEX,
  mlkdLoss,
  mlkdMasks,
  type MlkdLoss,
  type MlkdLossOptions,
  type MlkdMasks,
  type MlkdView,
} from './mlkd.js';
export { logSoftmax, softmax } from './softmax.js';
export { MAX_TAYLOR_ORDER, taylorRemainderBound, taylorSoftmax, taylorSoftmaxErrorBound } from './taylor.js';
export { ADAPTIVE_TEMPERATURES, maxLogitTemperature, type AdaptiveTemperature, type MaxLogitTemperatureOptions } from './temperature.js';
export type { Logits, TemperatureInput } from './validate.js';
export { ZSCORE_EPS, zscore } from './zscore.js';
