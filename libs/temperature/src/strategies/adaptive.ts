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
import { teacherOnlyTemperatures } from './adaptive-teacher.js';

const OPTIONS = {
  standardize: { type: 'boolean', default: true, description: 'z-score the logits first (the authors do)' },
  eps: { type: 'number', default: ZSCORE_EPS, min: 0, description: 'epsilon of the z-score' },
} as const;

/**
 * Paired max-logit temperatures (the authors' public code, `calc_maxlogit_temp`): T_b = (1 + sqrt 3)/2 *
 * max(max_c |z'_t|, max_c |z'_s|) over the z-scored teacher and student rows; rounded up to float32.
 */
export function pairedTemperatures(teacher: Logits, student: Logits, classes: number, options: { standardize?: boolean; eps?: number } = {}): Float32Array {
  checkStudent(teacher, student, classes);
  return toTemperaturesRoundedUp('adaptive', maxLogitTemperature(teacher, classes, { ...options, student }));
}

/**
 * Finishes a provisional (teacher-only) temperature with the student's logits:
 * max(T_teacher, (1 + sqrt 3)/2 * max |z'_s|) per row, which equals {@link pairedTemperatures}
 * without recomputing the teacher's z-scores.
 */
export function finishPairedTemperatures(provisional: Float32Array, student: Logits, classes: number, options: { standardize?: boolean; eps?: number } = {}): Float32Array {
  const rows = rowsOf('student', student, classes);
  if (provisional.length !== rows) throw new RangeError(`provisional temperatures have ${provisional.length} rows but student logits have ${rows}`);
  const ts = teacherOnlyTemperatures(student, classes, options);
  const out = new Float32Array(rows);
  for (let b = 0; b < rows; b++) out[b] = provisional[b] > ts[b] ? provisional[b] : ts[b];
  return out;
}

/** The paired strategy under a registry name (`adaptive`, and its synonym `adaptive-paired`). */
function pairedDefinition(name: string, description: string): StrategyDefinition {
  return {
    name,
    description,
    needsStudent: true,
    standardizes: true,
    learnable: false,
    options: OPTIONS,
    create(input = {}): TemperatureStrategy {
      const options = resolveOptions(name, OPTIONS, input);
      return {
        name,
        needsStudent: true,
        standardizes: options.standardize,
        eps: options.eps,
        options,
        compute(teacher: Logits, classes: number, student?: Logits): Float32Array {
          return student === undefined ? teacherOnlyTemperatures(teacher, classes, options) : pairedTemperatures(teacher, student, classes, options);
        },
        finish(teacher: Logits, student: Logits, classes: number): FinishedTemperature {
          const t = pairedTemperatures(teacher, student, classes, options);
          return { teacher: t, student: t, lossScale: t.map((v) => v * v) };
        },
      };
    },
  };
}

/**
 * `adaptive` (the default): the paired max-logit temperature of the authors' code, the one behind the
 * paper's results. Needs the student: without the student's logits `compute` returns the teacher-only
 * temperature (a lower bound of the paired one) as the *provisional* value; the student stage calls
 * `finish(teacher, student)` (or `finishPairedTemperatures(provisional, student)`).
 */
export const adaptiveStrategy: StrategyDefinition = pairedDefinition(
  'adaptive',
  "Matsuyama et al. 2025 as in the authors' code: max-logit temperature over teacher and student z-scores together (needs the student; finished by the student stage)",
);

/** `adaptive-paired`: a synonym of `adaptive`. */
export const adaptivePairedStrategy: StrategyDefinition = pairedDefinition('adaptive-paired', 'a synonym of adaptive (paired max-logit temperature)');
