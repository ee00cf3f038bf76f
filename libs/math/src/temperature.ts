import { DEGENERATE_TEMPERATURE, TEMPERATURE_SCALE } from './constants.js';
import { checkBatch, checkEps, checkPair, throwNonFinite, type Logits } from './validate.js';
import { ZSCORE_EPS, zscoreRowMaxAbs } from './zscore.js';

/** Options of {@link maxLogitTemperature}. */
export interface MaxLogitTemperatureOptions {
  /** Student logits (B x C). Given: the "paired" temperature, max |z'| over the teacher and student rows together. */
  student?: Logits;
  /** Z-score the rows first (default true). False: use the raw logits as z'. */
  standardize?: boolean;
  /** Epsilon of the z-score (default 1e-7). */
  eps?: number;
}

/**
 * Per-row max-logit temperature T_b = (1 + sqrt(3))/2 * max_c |z'_bc|, where z' are the
 * z-scored teacher logits ("teacher-only") or the z-scored teacher and student logits together
 * ("paired", `options.student` given, as in the authors' public code). Returns a Float64Array of
 * B temperatures. With this T every |z'/T| <= sqrt(3) - 1 (for the rows it looks at).
 *
 * Degenerate rows: if every z' it looks at is 0 (all logits equal; also if (1+sqrt3)/2 * max|z'| is
 * below the smallest normal float64), T = 1 (`DEGENERATE_TEMPERATURE`); the soft targets of such a
 * row are uniform (or within 1e-290 of it) at any temperature.
 */
export function maxLogitTemperature(teacher: Logits, classes: number, options: MaxLogitTemperatureOptions = {}): Float64Array {
  const { student, standardize = true, eps = ZSCORE_EPS } = options;
  const rows = student === undefined ? checkBatch('teacher', teacher, classes) : checkPair('teacher', teacher, 'student', student, classes);
  checkEps(eps);
  const out = new Float64Array(rows);
  for (let b = 0; b < rows; b++) {
    let m = rowMaxAbs(teacher, b * classes, classes, standardize, eps, 'teacher', b);
    if (student !== undefined) {
      const ms = rowMaxAbs(student, b * classes, classes, standardize, eps, 'student', b);
      if (ms > m) m = ms;
    }
    out[b] = temperatureFromMaxAbs(m);
  }
  return out;
}

/** Smallest positive normal float64; below it a temperature would lose relative precision. */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * T = TEMPERATURE_SCALE * maxAbs, or DEGENERATE_TEMPERATURE when that is 0 or subnormal (every z'
 * is 0, or so close to 0 that x = z'/T could not be formed to full precision). @internal
 */
export function temperatureFromMaxAbs(maxAbs: number): number {
  const t = TEMPERATURE_SCALE * maxAbs;
  return t >= MIN_NORMAL ? t : DEGENERATE_TEMPERATURE;
}

function rowMaxAbs(src: Logits, off: number, classes: number, standardize: boolean, eps: number, name: string, row: number): number {
  if (standardize) return zscoreRowMaxAbs(src, off, classes, eps, name, row);
  let m = 0;
  for (let c = 0; c < classes; c++) {
    const v = src[off + c];
    if (v - v !== 0) throwNonFinite(name, row, c, v);
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  return m;
}

/**
 * The adaptive temperature names of `@atkd/math` (and of the `@atkd/temperature` registry):
 * `'adaptive'` is the **paired** temperature of the authors' public code (the one behind the
 * paper's results), `'adaptive-paired'` a synonym, `'adaptive-teacher'` the teacher-only variant of
 * the paper's abstract.
 */
export const ADAPTIVE_TEMPERATURES = ['adaptive', 'adaptive-paired', 'adaptive-teacher'] as const;

/** One of {@link ADAPTIVE_TEMPERATURES}. */
export type AdaptiveTemperature = (typeof ADAPTIVE_TEMPERATURES)[number];

/**
 * What an adaptive temperature name looks at: `'paired'` (teacher and student rows) or `'teacher'`;
 * `undefined` for a non-string temperature (a number or one value per row). An unknown string is a
 * RangeError naming the accepted values. @internal
 */
export function adaptiveMode(temperature: unknown, name = 'temperature'): 'paired' | 'teacher' | undefined {
  if (typeof temperature !== 'string') return undefined;
  if (temperature === 'adaptive' || temperature === 'adaptive-paired') return 'paired';
  if (temperature === 'adaptive-teacher') return 'teacher';
  throw new RangeError(`${name} must be a number, an array of one number per row, or one of ${ADAPTIVE_TEMPERATURES.map((n) => `'${n}'`).join(', ')}; got '${temperature}'`);
}
