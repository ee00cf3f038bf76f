/**
 * The distillation loss of the authors' code in TensorFlow.js (differentiable w.r.t. the student logits):
 *
 *   loss_b = gamma * CE(s_b, y_b) + beta * T_b^2 * KL(p_b || softmax(s'_b / T_b))
 *   loss   = mean_b loss_b
 *
 * with s' the z-scored student row when the strategy standardizes (else the raw row), and p_b the soft
 * targets: given (the `soft_targets` column) or softmax(t'_b / T_b) of the (z-scored) teacher row.
 * The cross-entropy is on the raw student logits, as in the authors' `F.cross_entropy(logits_student, target)`.
 */
import * as tf from '@tensorflow/tfjs';
import { ZSCORE_EPS } from '@atkd/math';

/** Default weight of the cross-entropy term (authors' default). */
export const DEFAULT_GAMMA = 0.1;
/** Default weight of the KD term (authors' default). */
export const DEFAULT_BETA = 9;

/** Smallest variance the z-score takes a square root of (keeps the gradient finite on constant rows). */
const MIN_VARIANCE = 1e-30;

/**
 * Per-row z-score (x - mean) / (std + eps) with the n-1 divisor, as `@atkd/math` `zscore` (and the
 * authors' `normalize`). A constant row maps to zeros, with a finite (zero) gradient.
 */
export function zscoreTf(x: tf.Tensor2D, eps: number = ZSCORE_EPS): tf.Tensor2D {
  return tf.tidy(() => {
    const classes = x.shape[1];
    const d = tf.sub(x, tf.mean(x, 1, true));
    const variance = tf.div(tf.sum(tf.square(d), 1, true), classes - 1);
    const std = tf.sqrt(tf.maximum(variance, MIN_VARIANCE));
    return tf.div(d, tf.add(std, eps)) as tf.Tensor2D;
  });
}

/** The soft targets of the KD term: given, or computed from the teacher logits at the row temperature. */
export type KdTarget = { softTargets: tf.Tensor2D } | { teacherLogits: tf.Tensor2D };

export interface KdLossTfOptions {
  /** Z-score the student (and, when computing the targets, the teacher) rows first. Default true. */
  standardize?: boolean;
  /** Epsilon of the z-score (default 1e-7). */
  eps?: number;
  /** Per-row temperature of the student's log-softmax ([B]; default: the same as the teacher's, as in KD). */
  studentTemperature?: tf.Tensor1D;
  /** Per-row weight of the KL term ([B]; default T^2, DTKD: T_teacher * T_student). */
  lossScale?: tf.Tensor1D;
}

/**
 * Per-row T_b^2 * KL(p_b || softmax(s'_b / T_b)) (a [B] tensor). `temperature` is [B] (per row).
 * With `studentTemperature` / `lossScale` (DTKD): lossScale_b * KL(p_b || softmax(s'_b / Ts_b)).
 * Rows of p with entries <= 0 (possible with low-order Taylor soft targets) contribute p log p = 0 for
 * those entries; the term does not depend on the student, so gradients are unaffected.
 */
export function kdLossPerRowTf(student: tf.Tensor2D, target: KdTarget, temperature: tf.Tensor1D, options: KdLossTfOptions = {}): tf.Tensor1D {
  const standardize = options.standardize ?? true;
  const eps = options.eps ?? ZSCORE_EPS;
  return tf.tidy(() => {
    const T = tf.reshape(temperature, [-1, 1]);
    const Ts = options.studentTemperature === undefined ? T : tf.reshape(options.studentTemperature, [-1, 1]);
    const s = standardize ? zscoreTf(student, eps) : student;
    const logQ = tf.logSoftmax(tf.div(s, Ts));
    let p: tf.Tensor2D;
    if ('softTargets' in target) p = target.softTargets;
    else {
      const t = standardize ? zscoreTf(target.teacherLogits, eps) : target.teacherLogits;
      p = tf.softmax(tf.div(t, T)) as tf.Tensor2D;
    }
    // p is data (teacher side): gradients are only ever taken w.r.t. the student.
    const positive = tf.greater(p, 0);
    const safeP = tf.where(positive, p, tf.onesLike(p));
    const pLogP = tf.where(positive, tf.mul(p, tf.log(safeP)), tf.zerosLike(p));
    const kl = tf.sum(tf.sub(pLogP, tf.mul(p, logQ)), 1);
    return tf.mul(kl, options.lossScale ?? tf.square(temperature)) as tf.Tensor1D;
  });
}

/** Per-row cross-entropy -log softmax(logits)_y (a [B] tensor) of the raw logits. */
export function crossEntropyPerRowTf(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), classes);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
  });
}

export interface DistillLossOptions extends KdLossTfOptions {
  /** Weight of the cross-entropy (default 0.1). */
  gamma?: number;
  /** Weight of the KD term (default 9). */
  beta?: number;
}

/** The three parts of the loss as scalars: mean CE, mean KD (T^2 KL) and the total gamma*CE + beta*KD. */
export interface DistillLoss {
  ce: tf.Scalar;
  kd: tf.Scalar;
  total: tf.Scalar;
}

/** gamma * mean(CE) + beta * mean(T^2 KL), with its parts (all scalars, differentiable). */
export function distillLossTf(
  student: tf.Tensor2D, labels: tf.Tensor1D, target: KdTarget, temperature: tf.Tensor1D, options: DistillLossOptions = {},
): DistillLoss {
  const gamma = options.gamma ?? DEFAULT_GAMMA;
  const beta = options.beta ?? DEFAULT_BETA;
  return tf.tidy(() => {
    const ce = tf.mean(crossEntropyPerRowTf(student, labels)) as tf.Scalar;
    const kd = tf.mean(kdLossPerRowTf(student, target, temperature, options)) as tf.Scalar;
    const total = tf.add(tf.mul(ce, gamma), tf.mul(kd, beta)) as tf.Scalar;
    return { ce, kd, total };
  });
}
