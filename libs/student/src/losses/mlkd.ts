import * as tf from '@tensorflow/tfjs';
import { MLKD_EXTRA_TEMPERATURES, MLKD_STRONG_FROM_WEAK_INDEX, mlkdMasks, zscore } from '@atkd/math';
import { resolveOptions } from '@atkd/temperature';
import { kdLossPerRowTf } from '../loss.js';
import { meanCrossEntropy, perRow, prepared, weighted } from './common.js';
import type { DistillationLoss, LossDefinition, LossInputs, LossParts, LossWeights } from './types.js';

const OPTIONS = {} as const;

type T = tf.Tensor1D | number;

const temps = (T: T, rows: number): tf.Tensor1D => (typeof T === 'number' ? tf.fill([rows], T) : T);

/** Instance level: mean_b T_b^2 KL(softmax(t/T) || softmax(s/T)) of prepared rows. */
function instance(s: tf.Tensor2D, t: tf.Tensor2D, T: T): tf.Scalar {
  return tf.mean(kdLossPerRowTf(s, { teacherLogits: t }, temps(T, s.shape[0]), { standardize: false })) as tf.Scalar;
}

/** Class level: sum((P_t^T P_t - P_s^T P_s)^2) / C, P = softmax(rows / T). */
function classLevel(s: tf.Tensor2D, t: tf.Tensor2D, T: T): tf.Scalar {
  const Tv = temps(T, s.shape[0]);
  const ps = tf.softmax(perRow(s, Tv)) as tf.Tensor2D;
  const pt = tf.softmax(perRow(t, Tv)) as tf.Tensor2D;
  const d = tf.sub(tf.matMul(pt, pt, true, false), tf.matMul(ps, ps, true, false));
  return tf.div(tf.sum(tf.square(d)), s.shape[1]) as tf.Scalar;
}

/** Batch level: sum((P_t P_t^T - P_s P_s^T)^2) / B. */
function batchLevel(s: tf.Tensor2D, t: tf.Tensor2D, T: T): tf.Scalar {
  const Tv = temps(T, s.shape[0]);
  const ps = tf.softmax(perRow(s, Tv)) as tf.Tensor2D;
  const pt = tf.softmax(perRow(t, Tv)) as tf.Tensor2D;
  const d = tf.sub(tf.matMul(pt, pt, false, true), tf.matMul(ps, ps, false, true));
  return tf.div(tf.sum(tf.square(d)), s.shape[0]) as tf.Scalar;
}

/**
 * `mlkd` (Jin et al., CVPR 2023, "Multi-Level Logit Distillation"; the authors' `distiller_zoo/mlkd.py`):
 * on the weak view (the batch) and the strong view (`inputs.strong`: RandAugment(2, 10) + Cutout images,
 * `@atkd/data` `strongAugmentBatch`), with T_k over [T0, 3, 5, 2, 6] (T0 the strategy's per-row
 * temperature of each view):
 *
 *   kd = share(instance mask) sum_k KD(weak, T_k) + [KD(strong, T0), KD(strong, 3), KD(strong, 5), KD(weak, 2), KD(weak, 6)]
 *      + share(class mask) sum_k CC(weak, T_k) + share(instance mask) sum_k BC(weak, T_k)
 *   ce = CE(weak) + CE(strong)
 *
 * with the confidence masks of `@atkd/math` `mlkdMasks` (median of softmax of the prepared weak teacher
 * logits). The quirks of the code (masks as shares, two strong terms on the weak view, unused strong CC and
 * BC, masks from z-scores) are matched on purpose: `@atkd/math` `mlkdLoss` is the reference and its README
 * names them. Terms: `kdWeak`, `kdStrong`, `cc`, `bc`, `instanceShare`, `classShare`.
 */
export const mlkdLossDefinition: LossDefinition = {
  name: 'mlkd',
  description: 'MLKD (Jin et al. 2023): instance, batch and class levels over five temperatures on a weak and a strong view (the authors\' mlkd.py)',
  needsStrongView: true,
  options: OPTIONS,
  create(input = {}): DistillationLoss {
    const options = resolveOptions('mlkd', OPTIONS, input, 'loss');
    return {
      name: 'mlkd',
      options,
      usesSoftTargets: false,
      needsStrongView: true,
      termNames: ['kdWeak', 'kdStrong', 'cc', 'bc', 'instanceShare', 'classShare'],
      compute(inp: LossInputs, { gamma, beta }: LossWeights): LossParts {
        const strong = inp.strong;
        if (strong === undefined) throw new Error('loss "mlkd" needs the strong view of the batch (the image_strong column and its teacher logits, teacher_logits_strong)');
        const [rows, classes] = inp.student.shape;
        if (strong.student.shape[0] !== rows || strong.teacher.shape[0] !== rows) {
          throw new RangeError(`loss "mlkd": the strong view has ${strong.student.shape[0]} student / ${strong.teacher.shape[0]} teacher rows, the batch ${rows}`);
        }
        // the masks are data: from the teacher's weak-view logits, z-scored as the loss sees them
        const teacherData = inp.teacher.dataSync() as Float32Array;
        const masks = mlkdMasks(inp.standardize ? zscore(teacherData, classes, inp.eps) : teacherData, classes);
        return tf.tidy(() => {
          const ce = tf.add(meanCrossEntropy(inp.student, inp.labels), meanCrossEntropy(strong.student, inp.labels)) as tf.Scalar;
          const ws = prepared(inp.student, inp.standardize, inp.eps);
          const wt = prepared(inp.teacher, inp.standardize, inp.eps);
          const ss = prepared(strong.student, inp.standardize, inp.eps);
          const st = prepared(strong.teacher, inp.standardize, inp.eps);
          let kdWeak = instance(ws, wt, inp.temperature);
          let kdStrong = instance(ss, st, strong.temperature);
          let cc = classLevel(ws, wt, inp.temperature);
          let bc = batchLevel(ws, wt, inp.temperature);
          MLKD_EXTRA_TEMPERATURES.forEach((Tk, i) => {
            kdWeak = tf.add(kdWeak, instance(ws, wt, Tk));
            kdStrong = tf.add(kdStrong, i + 1 >= MLKD_STRONG_FROM_WEAK_INDEX ? instance(ws, wt, Tk) : instance(ss, st, Tk));
            cc = tf.add(cc, classLevel(ws, wt, Tk));
            bc = tf.add(bc, batchLevel(ws, wt, Tk));
          });
          kdWeak = tf.mul(kdWeak, masks.instanceShare);
          cc = tf.mul(cc, masks.classShare);
          bc = tf.mul(bc, masks.instanceShare);
          const kd = tf.addN([kdWeak, kdStrong, cc, bc]) as tf.Scalar;
          return {
            ce,
            kd,
            total: weighted(ce, kd, gamma, beta),
            terms: { kdWeak, kdStrong, cc, bc, instanceShare: tf.scalar(masks.instanceShare), classShare: tf.scalar(masks.classShare) },
          };
        });
      },
    };
  },
};
