import * as tf from '@tensorflow/tfjs';
import { DKD_DEFAULTS } from '@atkd/math';
import { resolveOptions } from '@atkd/temperature';
import { meanCrossEntropy, perRow, prepared, weighted } from './common.js';
import type { DistillationLoss, LossDefinition, LossInputs, LossParts, LossWeights } from './types.js';

const OPTIONS = {
  alpha: { type: 'number', default: DKD_DEFAULTS.alpha, min: 0, description: 'weight of TCKD (target vs non-target; mdistiller CFG.DKD.ALPHA 1)' },
  beta: { type: 'number', default: DKD_DEFAULTS.beta, min: 0, description: 'weight of NCKD (among the non-target classes; mdistiller CFG.DKD.BETA 8, per pair in its configs)' },
  warmup: { type: 'number', default: 20, min: 0, description: 'epochs of the linear warm-up min(epoch / warmup, 1) of the KD part (1-based epochs as in the code; 0: none)' },
} as const;

/** Offset that removes the target class from a softmax (the authors' `- 1000 * gt_mask`, after dividing by T). */
const MASK = 1000;

/** DKD's warm-up factor of a 0-based epoch: min((epoch + 1) / warmup, 1) (the code's epochs start at 1). */
export function dkdWarmup(epoch: number, warmup: number): number {
  return warmup <= 0 ? 1 : Math.min((epoch + 1) / warmup, 1);
}

/**
 * `dkd` (Zhao et al., CVPR 2022, "Decoupled Knowledge Distillation"; the authors' `distiller_zoo/dkd.py`,
 * from mdistiller): kd = min(epoch / warmup, 1) * mean_b scale_b (alpha TCKD_b + beta NCKD_b), with
 * x = t'/T_b, y = s'/Ts_b (t', s' z-scored when the strategy standardizes), scale = T^2 (or the
 * strategy's lossScale), TCKD the binary KL of [p_g, 1 - p_g] (both from log-sum-exps) and NCKD the
 * KL among the non-target classes (`x - 1000 * onehot`). CE on the raw student logits. The `@atkd/math`
 * reference is `dkdLossPerRow`. Terms: `tckd`, `nckd` (batch means of scale * TCKD, scale * NCKD, before
 * alpha, beta and the warm-up) and `warmup`.
 */
export const dkdLossDefinition: LossDefinition = {
  name: 'dkd',
  description: 'DKD (Zhao et al. 2022): alpha TCKD + beta NCKD, each T^2, after a linear warm-up (the authors\' dkd.py / mdistiller)',
  needsStrongView: false,
  options: OPTIONS,
  create(input = {}): DistillationLoss {
    const options = resolveOptions('dkd', OPTIONS, input, 'loss');
    return {
      name: 'dkd',
      options,
      usesSoftTargets: false,
      needsStrongView: false,
      termNames: ['tckd', 'nckd', 'warmup'],
      compute(inp: LossInputs, { gamma, beta }: LossWeights): LossParts {
        return tf.tidy(() => {
          const ce = meanCrossEntropy(inp.student, inp.labels);
          const classes = inp.student.shape[1];
          const gt = tf.oneHot(tf.cast(inp.labels, 'int32'), classes).toFloat() as tf.Tensor2D;
          const x = perRow(prepared(inp.teacher, inp.standardize, inp.eps), inp.temperature);
          const y = perRow(prepared(inp.student, inp.standardize, inp.eps), inp.studentTemperature ?? inp.temperature);
          const scale = inp.lossScale ?? tf.square(inp.temperature);
          // target vs the rest, in log space
          const lseX = tf.logSumExp(x, 1);
          const lseY = tf.logSumExp(y, 1);
          const xo = tf.sub(x, tf.mul(gt, MASK)) as tf.Tensor2D;
          const yo = tf.sub(y, tf.mul(gt, MASK)) as tf.Tensor2D;
          const ltg = tf.sub(tf.sum(tf.mul(x, gt), 1), lseX);
          const lsg = tf.sub(tf.sum(tf.mul(y, gt), 1), lseY);
          const lto = tf.sub(tf.logSumExp(xo, 1), lseX);
          const lso = tf.sub(tf.logSumExp(yo, 1), lseY);
          const tckdRow = tf.add(tf.mul(tf.exp(ltg), tf.sub(ltg, lsg)), tf.mul(tf.exp(lto), tf.sub(lto, lso)));
          // among the non-target classes
          const lpt = tf.logSoftmax(xo);
          const lps = tf.logSoftmax(yo);
          const nckdRow = tf.sum(tf.mul(tf.exp(lpt), tf.sub(lpt, lps)), 1);
          const tckd = tf.mean(tf.mul(tckdRow, scale)) as tf.Scalar;
          const nckd = tf.mean(tf.mul(nckdRow, scale)) as tf.Scalar;
          const w = dkdWarmup(inp.epoch, options.warmup);
          const kd = tf.mul(tf.add(tf.mul(tckd, options.alpha), tf.mul(nckd, options.beta)), w) as tf.Scalar;
          return { ce, kd, total: weighted(ce, kd, gamma, beta), terms: { tckd, nckd, warmup: tf.scalar(w) } };
        });
      },
    };
  },
};
