/**
 * The distillation losses of the student stage behind one interface (mdistiller's "one distiller a
 * file behind one interface and a registry"): `kd` (the KD loss of Hinton et al. with per-row
 * temperatures, atkd's default), `dkd` (Decoupled KD) and `mlkd` (Multi-Level Logit Distillation).
 * Every loss takes the temperatures the temperature stage produced (any strategy) and works on
 * z-scored or raw logits; the trainer combines gamma * CE + beta * KD.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OptionSpecs } from '@atkd/temperature';

/** The strong view of the batch (MLKD): the student's and the teacher's logits on it, and its temperatures. */
export interface StrongViewInputs {
  student: tf.Tensor2D;
  teacher: tf.Tensor2D;
  /** Per-row temperature of the strong view (the strategy applied to the strong view's logits). */
  temperature: tf.Tensor1D;
}

/** What a distillation loss sees of one batch (tensors owned by the caller; the loss disposes nothing it did not make). */
export interface LossInputs {
  /** The student's logits (of the weak view, for MLKD): differentiable. */
  student: tf.Tensor2D;
  /** The teacher's logits (data). */
  teacher: tf.Tensor2D;
  /** Class labels, int32 [B]. */
  labels: tf.Tensor1D;
  /** Per-row temperature of the teacher side (the `temperature` column, finished if it was pending). */
  temperature: tf.Tensor1D;
  /** Per-row temperature of the student side (DTKD's `student_temperature`); default `temperature`. */
  studentTemperature?: tf.Tensor1D;
  /** Per-row weight of the divergence (DTKD: T_t T_s); default `temperature^2`. */
  lossScale?: tf.Tensor1D;
  /** Given soft targets (the `soft_targets` column, exact or Taylor): used by `kd` instead of softmax(t/T). */
  softTargets?: tf.Tensor2D;
  /** Z-score the logit rows first (the strategy standardizes). */
  standardize: boolean;
  /** Epsilon of the z-score. */
  eps: number;
  /** 0-based epoch of the batch (DKD's warm-up). */
  epoch: number;
  /** The strong view (required by losses with `needsStrongView`). */
  strong?: StrongViewInputs;
}

/** The loss of one batch: scalars, differentiable w.r.t. the student. */
export interface LossParts {
  /** The cross-entropy part (before gamma): mean CE of the view(s) the method trains on. */
  ce: tf.Scalar;
  /** The distillation part (before beta). */
  kd: tf.Scalar;
  /** gamma * ce + beta * kd. */
  total: tf.Scalar;
  /** The method's named terms (for the per-epoch metrics), e.g. `tckd`, `nckd`; each a scalar. */
  terms: Record<string, tf.Scalar>;
}

/** The weights of the two parts. */
export interface LossWeights {
  gamma: number;
  beta: number;
}

/** A distillation loss instance (options resolved). */
export interface DistillationLoss {
  readonly name: string;
  readonly options: Readonly<Record<string, number | boolean>>;
  /** True when the loss needs the strong view (`inputs.strong`): MLKD. */
  readonly needsStrongView: boolean;
  /** True when the loss reads `inputs.softTargets` (the `soft_targets` column, exact or Taylor): `kd`. */
  readonly usesSoftTargets: boolean;
  /** The names of `LossParts.terms`, in order. */
  readonly termNames: readonly string[];
  /** The loss of one batch (inside the caller's gradient scope; intermediate tensors are tidied). */
  compute(inputs: LossInputs, weights: LossWeights): LossParts;
}

/** A registry entry. */
export interface LossDefinition {
  name: string;
  /** One line: what it is and where it comes from. */
  description: string;
  needsStrongView: boolean;
  options: OptionSpecs;
  create(options?: Readonly<Record<string, unknown>>): DistillationLoss;
}
