/**
 * @atkd/student — the student update stage of atkd: SGD with momentum, weight decay and step decay
 * (PyTorch semantics), the loss gamma * CE + beta * T^2 * KL on (z-scored) logits, per-step metrics,
 * and top-1 / top-5 evaluation. See README.md.
 */
export { DEFAULT_BETA, DEFAULT_GAMMA, crossEntropyPerRowTf, distillLossTf, kdLossPerRowTf, zscoreTf } from './loss.js';
export type { DistillLoss, DistillLossOptions, KdLossTfOptions, KdTarget } from './loss.js';
export { SgdMomentum, stepDecayLr, type SgdOptions } from './sgd.js';
export { readDistillColumns, readImages, readLabels, type DistillColumns } from './batch.js';
export { StudentTrainer, batchTop1, countOutsideRadius, strategyFinisher, trainableVariables } from './trainer.js';
export type { CeStepMetrics, StepMetrics, StepMetricsOf, StudentOptions, TemperatureFinisher, TrainerMode } from './trainer.js';
export { updateStudent } from './update-student.js';
export { addCounts, evaluate, evaluateBatch, evaluateFile, toEvalResult, topKCorrect, type EvalCounts, type EvalInput, type EvalResult, type EvaluateFileOptions } from './evaluate.js';
export { getLoss, getLossDefinition, listLosses, lossNames, registerLoss } from './losses/registry.js';
export { kdLossDefinition } from './losses/kd.js';
export { dkdLossDefinition, dkdWarmup } from './losses/dkd.js';
export { mlkdLossDefinition } from './losses/mlkd.js';
export type { DistillationLoss, LossDefinition, LossInputs, LossParts, LossWeights, StrongViewInputs } from './losses/types.js';
