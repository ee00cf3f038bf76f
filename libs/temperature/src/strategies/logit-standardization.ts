import { ZSCORE_EPS } from '@atkd/math';
import { resolveOptions } from '../options.js';
import { rowsOf, type Logits, type StrategyDefinition, type TemperatureStrategy } from '../strategy.js';
import { staticTemperatures } from './static.js';

const OPTIONS = {
  temperature: {
    type: 'number',
    default: 2,
    above: 0,
    description: 'the base temperature applied to the z-scored logits (Sun et al. use 2 on CIFAR-100)',
  },
  eps: { type: 'number', default: ZSCORE_EPS, min: 0, description: 'epsilon of the z-score (logit - mean) / (std + eps)' },
} as const;

/**
 * `logit-standardization` (Sun et al., CVPR 2024): z-score every row of teacher and student logits
 * ((z - mean) / (std + eps), unbiased std), then use one base temperature (default 2, the authors'
 * CIFAR-100 setting). In terms of the raw logits that is a per-sample temperature T * std_b; the
 * `temperature` column holds the base temperature and the stream is marked `standardize = true` so
 * the soft-target and student stages z-score the logits.
 */
export const logitStandardizationStrategy: StrategyDefinition = {
  name: 'logit-standardization',
  description: 'Sun et al. CVPR 2024: z-scored logits with a base temperature (default 2)',
  needsStudent: false,
  standardizes: true,
  learnable: false,
  options: OPTIONS,
  create(input = {}): TemperatureStrategy {
    const options = resolveOptions('logit-standardization', OPTIONS, input);
    return {
      name: 'logit-standardization',
      needsStudent: false,
      standardizes: true,
      eps: options.eps,
      options,
      compute(teacher: Logits, classes: number): Float32Array {
        return staticTemperatures(rowsOf('teacher', teacher, classes), options.temperature);
      },
    };
  },
};
