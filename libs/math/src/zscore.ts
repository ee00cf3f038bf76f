import { checkBatch, checkEps, checkOut, throwNonFinite, type Logits } from './validate.js';

/** The default epsilon added to the standard deviation (as in the authors' PyTorch code). */
export const ZSCORE_EPS = 1e-7;

const SCALE_HI = 2 ** 400;
const SCALE_LO = 2 ** -400;

/**
 * A power of two k with max(|lo|, |hi|) * k in a safe range, or 1 when no scaling is needed.
 * Multiplying by a power of two is exact (away from the subnormal range). @internal
 */
export function rangeScale(absLo: number, absHi: number): number {
  const m = absLo > absHi ? absLo : absHi;
  if ((m <= SCALE_HI && m >= SCALE_LO) || m === 0) return 1;
  // about 2^-floor(log2 m), kept within the normal float64 range
  const e = -Math.floor(Math.log2(m));
  return 2 ** (e > 1023 ? 1023 : e < -1022 ? -1022 : e);
}

/**
 * Row statistics, written to `ROW` (no allocation per row):
 * [lo, hi, k, m0, corr, sd] with k the power-of-two pre-scale, m0 + corr the (scaled) mean in
 * two parts, sd the (scaled) sample standard deviation (n - 1 divisor). Returns false for a
 * degenerate row (all logits equal). Throws a RangeError naming `name`, row and column for a
 * non-finite logit. @internal
 */
export const ROW = new Float64Array(6);
export function rowStats(src: ArrayLike<number>, off: number, classes: number, name: string, row: number): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const v = src[off + c];
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (sum - sum !== 0) {
    // a NaN or infinity makes the sum non-finite (so does overflow of finite values: handled below)
    for (let c = 0; c < classes; c++) {
      const v = src[off + c];
      if (v - v !== 0) throwNonFinite(name, row, c, v);
    }
  }
  ROW[0] = lo;
  ROW[1] = hi;
  if (lo === hi) return false;
  // Extreme magnitudes: work on x * 2^k (exact) so that sums cannot overflow and squares of the
  // deviations cannot underflow; z is unchanged if eps is scaled the same way.
  const k = rangeScale(lo < 0 ? -lo : lo, hi < 0 ? -hi : hi);
  if (k !== 1) {
    sum = 0;
    for (let c = 0; c < classes; c++) sum += src[off + c] * k;
  }
  // Corrected two-pass algorithm: m0 = sum/C, deviations d0 = x - m0, then the mean correction
  // corr = sum(d0)/C and ss = sum(d0^2) - sum(d0)^2/C. The deviations x - m0 - corr stay accurate
  // even when the spread of the row is near the rounding level of its offset.
  const m0 = sum / classes;
  let s1 = 0;
  let s2 = 0;
  for (let c = 0; c < classes; c++) {
    const d = src[off + c] * k - m0;
    s1 += d;
    s2 += d * d;
  }
  const corr = s1 / classes;
  const ss = s2 - s1 * corr;
  ROW[2] = k;
  ROW[3] = m0;
  ROW[4] = corr;
  ROW[5] = Math.sqrt((ss > 0 ? ss : 0) / (classes - 1));
  return true;
}

/**
 * Z-scores one row of `src` (starting at `srcOff`) into `dst` at `dstOff`:
 * (z - mean) / (std + eps), std with the n-1 divisor, accumulated in float64.
 * Returns max |z'| of the row. A degenerate row (all logits equal) is written as exact zeros.
 * @internal
 */
export function zscoreRowInto(src: Logits, srcOff: number, classes: number, eps: number, dst: Float64Array, dstOff: number, name = 'logits', row = 0): number {
  if (!rowStats(src, srcOff, classes, name, row)) {
    dst.fill(0, dstOff, dstOff + classes);
    return 0;
  }
  const k = ROW[2];
  const m0 = ROW[3];
  const corr = ROW[4];
  const denom = ROW[5] + eps * k;
  if (!(denom > 0)) {
    dst.fill(0, dstOff, dstOff + classes);
    return 0;
  }
  let maxAbs = 0;
  for (let c = 0; c < classes; c++) {
    const v = (src[srcOff + c] * k - m0 - corr) / denom;
    dst[dstOff + c] = v;
    const a = v < 0 ? -v : v;
    if (a > maxAbs) maxAbs = a;
  }
  return maxAbs;
}

/** max_c |z'_c| of one row without writing the z-scores (same arithmetic as zscoreRowInto). @internal */
export function zscoreRowMaxAbs(src: Logits, srcOff: number, classes: number, eps: number, name = 'logits', row = 0): number {
  if (!rowStats(src, srcOff, classes, name, row)) return 0;
  const k = ROW[2];
  const denom = ROW[5] + eps * k;
  if (!(denom > 0)) return 0;
  const up = (ROW[1] * k - ROW[3] - ROW[4]) / denom;
  const down = -((ROW[0] * k - ROW[3] - ROW[4]) / denom);
  return up > down ? up : down;
}

/**
 * Per-row z-score of a row-major B x C batch: (z - mean) / (std + eps), std with the n-1
 * (unbiased) divisor, as `torch.std` does by default. Accumulates in float64 and returns a new
 * Float64Array of B x C (or writes into `out`, a Float64Array of the same length).
 *
 * A degenerate row (all logits equal, std 0) maps to exact zeros (for any eps, also eps = 0).
 */
export function zscore(logits: Logits, classes: number, eps: number = ZSCORE_EPS, out?: Float64Array): Float64Array {
  const rows = checkBatch('logits', logits, classes);
  checkEps(eps);
  const dst = checkOut(out, logits.length);
  for (let b = 0; b < rows; b++) zscoreRowInto(logits, b * classes, classes, eps, dst, b * classes, 'logits', b);
  return dst;
}
