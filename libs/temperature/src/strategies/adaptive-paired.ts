import { maxLogitTemperature, ZSCORE_EPS } from '@atkd/math';
import { resolveOptions } from '../options.js';
import {
  checkStudent,
  rowsOf,
  toTemperaturesRoundedUp,
  type FinishedTemperature,
  type Logits,
  type StrategyDefinition,
  type TemperatureStrategy,
} from '../strategy.js';
import { adaptiveTemperatures } from './adaptive.js';

const OPTIONS = {
  standardize: { type: 'boolean', default: true, description: 'z-score the logits first (the authors do)' },
  eps: { type: 'number', default: ZSCORE_EPS, min: 0, description: 'epsilon of the z-score' },
} as const;

/**
 * Paired max-logit temperatures (the authors' public code): T_b = (1 + sqrt 3)/2 * max(max_c |z'_t|,
 * max_c |z'_s|) over the z-scored teacher and student rows; rounded up to float32.
 */
export function pairedTemperatures(teacher: Logits, student: Logits, classes: number, options: { standardize?: boolean; eps?: number } = {}): Float32Array {
  checkStudent(teacher, student, classes);
  return toTemperaturesRoundedUp('adaptive-paired', maxLogitTemperature(teacher, classes, { ...options, student }));
}

/**
 * Finishes a provisional (teacher-only) temperature with the student's logits:
 * max(T_teacher, (1 + sqrt 3)/2 * max |z'_s|) per row, which equals {@link pairedTemperatures}
 * without recomputing the teacher's z-scores.
 */
export function finishPairedTemperatures(provisional: Float32Array, student: Logits, classes: number, options: { standardize?: boolean; eps?: number } = {}): Float32Array {
  const rows = rowsOf('student', student, classes);
  if (provisional.length !== rows) throw new RangeError(`provisional temperatures have ${provisional.length} rows but student logits have ${rows}`);
  const ts = adaptiveTemperatures(student, classes, options);
  const out = new Float32Array(rows);
  for (let b = 0; b < rows; b++) out[b] = provisional[b] > ts[b] ? provisional[b] : ts[b];
  return out;
}

/**
 * `adaptive-paired`: needs the student. Without the student's logits `compute` returns the
 * teacher-only temperature (a lower bound of the paired one) as the *provisional* value; the student
 * stage calls `finish(teacher, student)` (or `finishPairedTemperatures(provisional, student)`).
 */
export const adaptivePairedStrategy: StrategyDefinition = {
  name: 'adaptive-paired',
  description: 'the authors\' code: max-logit temperature over teacher and student z-scores together (needs the student; finished by the student stage)',
  needsStudent: true,
  standardizes: true,
  learnable: false,
  options: OPTIONS,
  create(input = {}): TemperatureStrategy {
    const options = resolveOptions('adaptive-paired', OPTIONS, input);
    return {
      name: 'adaptive-paired',
      needsStudent: true,
      standardizes: options.standardize,
      eps: options.eps,
      options,
      compute(teacher: Logits, classes: number, student?: Logits): Float32Array {
        return student === undefined ? adaptiveTemperatures(teacher, classes, options) : pairedTemperatures(teacher, student, classes, options);
      },
      finish(teacher: Logits, student: Logits, classes: number): FinishedTemperature {
        const t = pairedTemperatures(teacher, student, classes, options);
        return { teacher: t, student: t, lossScale: t.map((v) => v * v) };
      },
    };
  },
};
