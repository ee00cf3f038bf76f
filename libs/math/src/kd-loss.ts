import { loadRowPair } from './rows.js';
import { adaptiveMode, temperatureFromMaxAbs, type AdaptiveTemperature } from './temperature.js';
import { checkEps, checkPair, resolveTemperature, type Logits } from './validate.js';
import { ZSCORE_EPS } from './zscore.js';

/**
 * The temperature of {@link kdLoss} (and `dkdLoss`): a number, one value per row, `'adaptive'` /
 * `'adaptive-paired'` (max-logit temperature over the teacher and student rows, the authors' code)
 * or `'adaptive-teacher'` (over the teacher row alone).
 */
export type KdTemperature = number | ArrayLike<number> | AdaptiveTemperature;

/**
 * The per-row temperature rule of a loss: fixed values, or the max-logit temperature of the loaded
 * rows. `temperatureOf(b, maxAbs)` gives row b's T from [max |t_b|, max |s_b|]. @internal
 */
export function rowTemperatureRule(temperature: unknown, rows: number): (b: number, maxAbs: Float64Array) => number {
  const mode = adaptiveMode(temperature);
  if (mode === undefined) {
    const fixed = resolveTemperature(temperature, rows);
    return (b) => fixed[b];
  }
  if (mode === 'paired') return (_b, m) => temperatureFromMaxAbs(m[1] > m[0] ? m[1] : m[0]);
  return (_b, m) => temperatureFromMaxAbs(m[0]);
}

/** Checks an optional per-row output buffer. @internal */
export function checkRowsOut(out: unknown, rows: number, name: string): void {
  if (out !== undefined && (!(out instanceof Float64Array) || out.length !== rows)) {
    throw new RangeError(`${name} must be a Float64Array of length B (${rows})`);
  }
}

/** Options of {@link kdLoss} / {@link kdLossPerRow}. */
export interface KdLossOptions {
  /** Default `'adaptive'` (paired). */
  temperature?: KdTemperature;
  /** Z-score both rows first (default true), as the authors' code does. */
  standardize?: boolean;
  /** Epsilon of the z-score (default 1e-7). */
  eps?: number;
  /** If given (length B), receives the temperature used for every row. */
  temperaturesOut?: Float64Array;
}

/**
 * Per-row distillation loss T_b^2 * KL(softmax(t_b/T_b) || softmax(s_b/T_b)) (summed over
 * classes), with t, s the z-scored teacher/student rows when `standardize` (default) or the raw
 * rows otherwise. Returns a Float64Array of B losses (float64 throughout, stable log-softmax).
 *
 * Degenerate rows (all logits equal): their z' are all 0 (uniform soft targets); the adaptive
 * temperature of a row whose z' are all 0 is 1, so the loss is finite (0 if both rows are degenerate).
 */
export function kdLossPerRow(student: Logits, teacher: Logits, classes: number, options: KdLossOptions = {}): Float64Array {
  const rows = checkPair('student', student, 'teacher', teacher, classes);
  const { temperature = 'adaptive', standardize = true, eps = ZSCORE_EPS, temperaturesOut } = options;
  checkEps(eps);
  const temperatureOf = rowTemperatureRule(temperature, rows);
  checkRowsOut(temperaturesOut, rows, 'temperaturesOut');
  // per-call scratch (no per-row or per-element allocation)
  const t = new Float64Array(classes);
  const s = new Float64Array(classes);
  const et = new Float64Array(classes);
  const es = new Float64Array(classes);
  const maxAbs = new Float64Array(2);
  const out = new Float64Array(rows);
  for (let b = 0; b < rows; b++) {
    loadRowPair(student, teacher, b, classes, standardize, eps, t, s, maxAbs);
    const T = temperatureOf(b, maxAbs);
    if (temperaturesOut !== undefined) temperaturesOut[b] = T;
    out[b] = scaledKlRow(t, s, et, es, classes, T);
  }
  return out;
}

/**
 * Mean over the batch of {@link kdLossPerRow}: the KD loss of the authors' code
 * (`kl_div(log_softmax(s/T), softmax(t/T)).sum(1).mean() * T^2`, with per-row T).
 * Throws a RangeError on an empty batch.
 */
export function kdLoss(student: Logits, teacher: Logits, classes: number, options: KdLossOptions = {}): number {
  const per = kdLossPerRow(student, teacher, classes, options);
  if (per.length === 0) throw new RangeError('kdLoss of an empty batch (0 rows) is undefined');
  let sum = 0;
  for (let b = 0; b < per.length; b++) sum += per[b];
  return sum / per.length;
}

/**
 * T^2 * KL(softmax(t/T) || softmax(s/T)) for one row held in float64 scratch arrays
 * (`et`, `es` are scratch of length C). @internal
 *
 * With d_c = (t_c - s_c)/T - m (any constant m: KL is unchanged by it; m centres the range of d)
 * and p = softmax(t/T), q = softmax(s/T):
 *   KL = sum_c p_c d_c - log(sum_c q_c e^(d_c)).
 * When every |d_c| <= 1 the second term is formed as log1p(sum_c q_c expm1(d_c)), so nearly equal
 * rows (KL ~ d^2, also when the rows differ by a constant shift) keep a relative error of about
 * 1e-16/|d| instead of 1e-16/d^2. Otherwise the same identity is evaluated in log space, already
 * multiplied by T^2 so that tiny or huge temperatures neither overflow KL nor underflow T^2:
 *   T^2 KL = T (sum_c p_c (t_c - s_c) + max s - max t) + T^2 (log sum e^((s - max s)/T) - log sum e^((t - max t)/T)).
 */
export function scaledKlRow(t: Float64Array, s: Float64Array, et: Float64Array, es: Float64Array, classes: number, T: number): number {
  let maxT = -Infinity;
  let maxS = -Infinity;
  let loD = Infinity;
  let hiD = -Infinity;
  for (let c = 0; c < classes; c++) {
    const tc = t[c];
    const sc = s[c];
    if (tc > maxT) maxT = tc;
    if (sc > maxS) maxS = sc;
    const d = (tc - sc) / T;
    if (d < loD) loD = d;
    if (d > hiD) hiD = d;
  }
  let st = 0;
  let ss = 0;
  for (let c = 0; c < classes; c++) {
    // max subtracted before dividing: no temperature, however small, overflows
    const u = Math.exp((t[c] - maxT) / T);
    const v = Math.exp((s[c] - maxS) / T);
    et[c] = u;
    es[c] = v;
    st += u;
    ss += v;
  }
  const mid = loD / 2 + hiD / 2;
  if (hiD - mid <= 1 && mid - loD <= 1) {
    let pd = 0;
    let qe = 0;
    for (let c = 0; c < classes; c++) {
      const d = (t[c] - s[c]) / T - mid;
      pd += et[c] * d;
      qe += es[c] * Math.expm1(d);
    }
    const kl = pd / st - Math.log1p(qe / ss);
    return T * (T * kl);
  }
  let pdiff = 0;
  for (let c = 0; c < classes; c++) pdiff += et[c] * (t[c] - s[c]);
  return T * (pdiff / st + (maxS - maxT)) + T * (T * (Math.log(ss) - Math.log(st)));
}
