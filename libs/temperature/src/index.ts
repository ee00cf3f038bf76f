/**
 * @atkd/temperature — distillation temperature strategies behind one interface, a registry by name,
 * and the RxJS operator that adds the per-sample `temperature` column. See README.md.
 */
export {
  isLearnable,
  roundUpToFloat32,
  type FinishedTemperature,
  type LearnableTemperatureStrategy,
  type LearnStep,
  type Logits,
  type StrategyDefinition,
  type TemperatureContext,
  type TemperatureStrategy,
} from './strategy.js';
export { OptionError, checkOptions, resolveOptions, type OptionProblem, type BooleanOptionSpec, type NumberOptionSpec, type OptionInput, type OptionSpec, type OptionSpecs, type ResolvedOptions } from './options.js';
export { getStrategy, getStrategyDefinition, listStrategies, registerStrategy, strategyNames } from './registry.js';
export { kdLossTemperatureGradient, type KdTemperatureGradient } from './kd-gradient.js';
export { staticStrategy, staticTemperatures } from './strategies/static.js';
export { logitStandardizationStrategy } from './strategies/logit-standardization.js';
export { adaptivePairedStrategy, adaptiveStrategy, finishPairedTemperatures, pairedTemperatures } from './strategies/adaptive.js';
export { adaptiveTeacherStrategy, teacherOnlyTemperatures } from './strategies/adaptive-teacher.js';
export { createCtkd, ctkdLambda, ctkdStrategy, ctkdTemperature, ctkdTemperatureDerivative, type CtkdOptions } from './strategies/ctkd.js';
export { dtkdStrategy, dtkdTemperatures } from './strategies/dtkd.js';
export { withTemperature, addTemperature, type TemperatureStageOptions } from './operator.js';
