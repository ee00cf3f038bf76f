import { checkRowsOut, rowTemperatureRule, scaledKlRow, type KdTemperature } from './kd-loss.js';
import { checkLabels } from './labels.js';
import { loadRowPair } from './rows.js';
import { checkEps, checkPair, type Logits } from './validate.js';
import { ZSCORE_EPS } from './zscore.js';

/** DKD's default weights (Zhao et al. 2022; mdistiller `CFG.DKD`): alpha 1 (TCKD), beta 8 (NCKD). */
export const DKD_DEFAULTS = { alpha: 1, beta: 8 } as const;

/** Options of {@link dkdLoss} / {@link dkdLossPerRow}. */
export interface DkdLossOptions {
  /** Weight of the target-class term TCKD (default 1). */
  alpha?: number;
  /** Weight of the non-target-class term NCKD (default 8). */
  beta?: number;
  /** A number, one value per row, `'adaptive'` / `'adaptive-paired'` (default) or `'adaptive-teacher'`. */
  temperature?: KdTemperature;
  /** Z-score both rows first (default true; DKD without logit standardization: false). */
  standardize?: boolean;
  /** Epsilon of the z-score (default 1e-7). */
  eps?: number;
  /** If given (length B), receives the temperature used for every row. */
  temperaturesOut?: Float64Array;
  /** If given (length B), receives T_b^2 * TCKD_b (unweighted by alpha). */
  tckdOut?: Float64Array;
  /** If given (length B), receives T_b^2 * NCKD_b (unweighted by beta). */
  nckdOut?: Float64Array;
}

function checkWeight(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

/**
 * Per-row Decoupled KD loss (Zhao et al., CVPR 2022) as the authors' code computes it
 * (`distiller_zoo/dkd.py`, from mdistiller), with per-row temperature T_b:
 *
 *   loss_b = T_b^2 * (alpha * TCKD_b + beta * NCKD_b)
 *   TCKD_b = KL([p_g, 1 - p_g]_teacher || [p_g, 1 - p_g]_student)     (target vs the rest, binary)
 *   NCKD_b = KL(softmax(t_{-g}/T_b) || softmax(s_{-g}/T_b))             (over the C - 1 non-target classes)
 *
 * with g = labels[b], p = softmax(row / T_b), t and s the z-scored rows when `standardize` (default)
 * or the raw rows. No warm-up factor: DKD's min(epoch / warmup, 1) belongs to the training schedule.
 *
 * Numerics: float64; log p_g and log(1 - p_g) are both log-sum-exps (1 - p_g is never formed by a
 * subtraction), and NCKD uses the same stable scaled-KL row as {@link kdLossPerRow} over the
 * non-target classes (the code's `- 1000 * gt_mask` trick excludes the target class the same way,
 * up to e^-1000). C = 2 leaves one non-target class: NCKD = 0. Both terms are clamped at 0 (a KL is
 * non-negative; rounding can give -1e-31 on nearly agreeing rows).
 */
export function dkdLossPerRow(student: Logits, teacher: Logits, labels: ArrayLike<number>, classes: number, options: DkdLossOptions = {}): Float64Array {
  const rows = checkPair('student', student, 'teacher', teacher, classes);
  const y = checkLabels(labels, rows, classes);
  const { temperature = 'adaptive', standardize = true, eps = ZSCORE_EPS, temperaturesOut, tckdOut, nckdOut } = options;
  const alpha = checkWeight(options.alpha ?? DKD_DEFAULTS.alpha, 'alpha');
  const beta = checkWeight(options.beta ?? DKD_DEFAULTS.beta, 'beta');
  checkEps(eps);
  const temperatureOf = rowTemperatureRule(temperature, rows);
  checkRowsOut(temperaturesOut, rows, 'temperaturesOut');
  checkRowsOut(tckdOut, rows, 'tckdOut');
  checkRowsOut(nckdOut, rows, 'nckdOut');
  const t = new Float64Array(classes);
  const s = new Float64Array(classes);
  const tn = new Float64Array(classes - 1);
  const sn = new Float64Array(classes - 1);
  const et = new Float64Array(classes - 1);
  const es = new Float64Array(classes - 1);
  const maxAbs = new Float64Array(2);
  const out = new Float64Array(rows);
  for (let b = 0; b < rows; b++) {
    loadRowPair(student, teacher, b, classes, standardize, eps, t, s, maxAbs);
    const T = temperatureOf(b, maxAbs);
    const g = y[b];
    for (let c = 0, k = 0; c < classes; c++) {
      if (c === g) continue;
      tn[k] = t[c];
      sn[k] = s[c];
      k++;
    }
    const tckd = T * T * binaryKl(t, s, g, classes, T);
    // a KL is >= 0; the scaled-KL row can round to -1e-31 on rows that nearly agree (found by atkd verify)
    const nckdRaw = scaledKlRow(tn, sn, et, es, classes - 1, T);
    const nckd = nckdRaw > 0 ? nckdRaw : 0;
    if (temperaturesOut !== undefined) temperaturesOut[b] = T;
    if (tckdOut !== undefined) tckdOut[b] = tckd;
    if (nckdOut !== undefined) nckdOut[b] = nckd;
    out[b] = alpha * tckd + beta * nckd;
  }
  return out;
}

/**
 * The batch mean of {@link dkdLossPerRow}: mean_b T_b^2 (alpha TCKD_b + beta NCKD_b), the authors'
 * `dkd_loss` (their sums over the batch divided by B). Throws a RangeError on an empty batch.
 */
export function dkdLoss(student: Logits, teacher: Logits, labels: ArrayLike<number>, classes: number, options: DkdLossOptions = {}): number {
  const per = dkdLossPerRow(student, teacher, labels, classes, options);
  if (per.length === 0) throw new RangeError('dkdLoss of an empty batch (0 rows) is undefined');
  let sum = 0;
  for (let b = 0; b < per.length; b++) sum += per[b];
  return sum / per.length;
}

/** log sum_{c in S} e^(x_c / T) over S = {g} excluded (`skip` = g) or all classes (`skip` = -1). */
function logSumExp(x: Float64Array, classes: number, T: number, skip: number): number {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) if (c !== skip && x[c] > max) max = x[c];
  let sum = 0;
  for (let c = 0; c < classes; c++) if (c !== skip) sum += Math.exp((x[c] - max) / T);
  return max / T + Math.log(sum);
}

/** KL([p_g, p_rest]_t || [p_g, p_rest]_s) of the softmax at T of rows t, s (>= 0, clamped at 0). */
function binaryKl(t: Float64Array, s: Float64Array, g: number, classes: number, T: number): number {
  const lt = logSumExp(t, classes, T, -1);
  const ls = logSumExp(s, classes, T, -1);
  const ltg = t[g] / T - lt;
  const lsg = s[g] / T - ls;
  const lto = logSumExp(t, classes, T, g) - lt;
  const lso = logSumExp(s, classes, T, g) - ls;
  const kl = Math.exp(ltg) * (ltg - lsg) + Math.exp(lto) * (lto - lso);
  return kl > 0 ? kl : 0;
}
