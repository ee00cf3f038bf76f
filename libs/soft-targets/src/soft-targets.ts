import { CONVERGENCE_RADIUS, MAX_TAYLOR_ORDER, softmax, taylorSoftmax, zscore, ZSCORE_EPS } from '@atkd/math';

/** Options of {@link computeSoftTargets}. */
export interface SoftTargetOptions {
  /** Taylor order n (q ~ P_n(x) / sum P_n, `@atkd/math` taylorSoftmax); undefined: exact softmax. */
  order?: number;
  /** Z-score every row first (the strategy standardizes: logit standardization, adaptive). Default false. */
  standardize?: boolean;
  /** Epsilon of the z-score (default 1e-7). */
  eps?: number;
}

/** Soft targets of a batch and what the radius check found. */
export interface SoftTargetResult {
  /** B x C soft targets (row-major, float32), each row a distribution. */
  targets: Float32Array;
  /** Rows with some |x_c| = |logit_c / T| beyond the convergence radius sqrt(3) - 1 (x on the z-scored logits when standardizing). */
  outsideRadius: number;
  /** Per row: 1 when the row is outside the radius. */
  outsideRows: Uint8Array;
  /** max over the batch of |x| = |logit / T|. */
  maxAbsScaled: number;
}

/**
 * Relative slack of the radius check: a float32 temperature is the exact one rounded by at most
 * 2^-24 relative, so |x| up to R (1 + 2^-23) counts as inside.
 */
export const RADIUS_TOLERANCE = 2 ** -23;

function checkOrder(order: number | undefined): void {
  if (order === undefined) return;
  if (typeof order !== 'number' || !Number.isInteger(order) || order < 1 || order > MAX_TAYLOR_ORDER) {
    throw new RangeError(`order must be an integer in [1, ${MAX_TAYLOR_ORDER}], got ${String(order)}`);
  }
}

/**
 * Soft targets of the teacher's logits at per-row temperatures: softmax(x) with x = z / T_b, z the
 * logits (z-scored when `standardize`), exactly (`@atkd/math` softmax, float64) or, with `order`, by
 * the order-n Taylor expansion of exp (`@atkd/math` taylorSoftmax). Also counts the rows with some
 * |x_c| > sqrt(3) - 1 (outside the convergence radius in which the second-order expansion is a
 * faithful distribution and the max-logit temperature keeps every sample).
 *
 * Odd Taylor orders can give a negative series value outside |x| < 1; then `taylorSoftmax` throws a
 * RangeError naming the row and column (the result would not be a distribution).
 */
export function computeSoftTargets(logits: Float32Array | Float64Array, classes: number, temperature: ArrayLike<number>, options: SoftTargetOptions = {}): SoftTargetResult {
  checkOrder(options.order);
  const z = options.standardize ? zscore(logits, classes, options.eps ?? ZSCORE_EPS) : logits;
  const p = options.order === undefined ? softmax(z, classes, temperature) : taylorSoftmax(z, classes, temperature, options.order);
  const rows = p.length / classes;
  const outsideRows = new Uint8Array(rows);
  let outsideRadius = 0;
  let maxAbsScaled = 0;
  const limit = CONVERGENCE_RADIUS * (1 + RADIUS_TOLERANCE);
  for (let b = 0; b < rows; b++) {
    const T = temperature[b];
    let m = 0;
    const off = b * classes;
    for (let c = 0; c < classes; c++) {
      const v = z[off + c];
      const a = v < 0 ? -v : v;
      if (a > m) m = a;
    }
    const x = m / T;
    if (x > maxAbsScaled) maxAbsScaled = x;
    if (x > limit) {
      outsideRows[b] = 1;
      outsideRadius++;
    }
  }
  return { targets: new Float32Array(p), outsideRadius, outsideRows, maxAbsScaled };
}
