import * as tf from '@tensorflow/tfjs';
import { resolveOptions } from '@atkd/temperature';
import { kdLossPerRowTf } from '../loss.js';
import { meanCrossEntropy, weighted } from './common.js';
import type { DistillationLoss, LossDefinition, LossInputs, LossParts, LossWeights } from './types.js';

const OPTIONS = {} as const;

/**
 * `kd`: the KD loss of the authors' code with per-row temperatures, mean_b lossScale_b KL(p_b ||
 * softmax(s'_b / Ts_b)) (lossScale = T^2 unless the strategy gives one, p the given soft targets or
 * softmax(t'_b / T_b)), and CE on the raw student logits. atkd's loss before issue 13, unchanged.
 */
export const kdLossDefinition: LossDefinition = {
  name: 'kd',
  description: 'KD (Hinton et al. 2015) with per-row temperatures: T^2 KL(softmax(t/T) || softmax(s/T)), soft targets exact or Taylor (the authors\' DistillKL)',
  needsStrongView: false,
  options: OPTIONS,
  create(input = {}): DistillationLoss {
    const options = resolveOptions('kd', OPTIONS, input, 'loss');
    return {
      name: 'kd',
      options,
      usesSoftTargets: true,
      needsStrongView: false,
      termNames: [],
      compute(x: LossInputs, { gamma, beta }: LossWeights): LossParts {
        return tf.tidy(() => {
          const ce = meanCrossEntropy(x.student, x.labels);
          const target = x.softTargets !== undefined ? { softTargets: x.softTargets } : { teacherLogits: x.teacher };
          const kd = tf.mean(
            kdLossPerRowTf(x.student, target, x.temperature, { standardize: x.standardize, eps: x.eps, studentTemperature: x.studentTemperature, lossScale: x.lossScale }),
          ) as tf.Scalar;
          return { ce, kd, total: weighted(ce, kd, gamma, beta), terms: {} };
        });
      },
    };
  },
};
