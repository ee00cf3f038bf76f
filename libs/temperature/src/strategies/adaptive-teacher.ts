import { maxLogitTemperature, ZSCORE_EPS } from '@atkd/math';
import { resolveOptions } from '../options.js';
import { rowsOf, toTemperaturesRoundedUp, type Logits, type StrategyDefinition, type TemperatureStrategy } from '../strategy.js';

const OPTIONS = {
  standardize: { type: 'boolean', default: true, description: 'z-score the logits first (the authors do); false: max |logit| of the raw logits' },
  eps: { type: 'number', default: ZSCORE_EPS, min: 0, description: 'epsilon of the z-score' },
} as const;

/**
 * Teacher-only max-logit temperatures T_b = (1 + sqrt 3)/2 * max_c |z'_bc| (the variant of the paper's
 * abstract), via `@atkd/math` `maxLogitTemperature`, rounded up to float32 so every |z'/T| <= sqrt(3) - 1
 * holds for the stored value.
 */
export function teacherOnlyTemperatures(teacher: Logits, classes: number, options: { standardize?: boolean; eps?: number } = {}): Float32Array {
  return toTemperaturesRoundedUp('adaptive-teacher', maxLogitTemperature(teacher, classes, options));
}

/** `adaptive-teacher`: the max-logit temperature from the teacher's logits alone, computed ahead of the student. */
export const adaptiveTeacherStrategy: StrategyDefinition = {
  name: 'adaptive-teacher',
  description: 'Matsuyama et al. 2025 (abstract): per-sample max-logit temperature (1+sqrt3)/2 * max|z\'| of the teacher alone',
  needsStudent: false,
  standardizes: true,
  learnable: false,
  options: OPTIONS,
  create(input = {}): TemperatureStrategy {
    const options = resolveOptions('adaptive-teacher', OPTIONS, input);
    return {
      name: 'adaptive-teacher',
      needsStudent: false,
      standardizes: options.standardize,
      eps: options.eps,
      options,
      compute(teacher: Logits, classes: number): Float32Array {
        rowsOf('teacher', teacher, classes);
        return teacherOnlyTemperatures(teacher, classes, options);
      },
    };
  },
};
