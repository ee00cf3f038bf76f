import { checkFiniteRow, checkPair, type Logits } from './validate.js';
import { rangeScale } from './zscore.js';

/**
 * Pearson correlation of every row pair (a_b, b_b): a Float64Array of B values in [-1, 1]
 * (float64, two-pass, clamped to [-1, 1] against rounding).
 * Degenerate rows: if both rows are constant rho = 1 (their z-scores are identical, all 0), if
 * exactly one is constant rho = 0.
 */
export function pearson(a: Logits, b: Logits, classes: number): Float64Array {
  const rows = checkPair('a', a, 'b', b, classes);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    checkFiniteRow('a', a, classes, r);
    checkFiniteRow('b', b, classes, r);
    const off = r * classes;
    let loA = Infinity;
    let hiA = -Infinity;
    let loB = Infinity;
    let hiB = -Infinity;
    for (let c = 0; c < classes; c++) {
      const va = a[off + c];
      const vb = b[off + c];
      if (va < loA) loA = va;
      if (va > hiA) hiA = va;
      if (vb < loB) loB = vb;
      if (vb > hiB) hiB = vb;
    }
    if (loA === hiA || loB === hiB) {
      out[r] = loA === hiA && loB === hiB ? 1 : 0;
      continue;
    }
    // exact power-of-two scaling of each row (rho is scale invariant), see zscore.ts
    const ka = rangeScale(Math.abs(loA), Math.abs(hiA));
    const kb = rangeScale(Math.abs(loB), Math.abs(hiB));
    let sa = 0;
    let sb = 0;
    for (let c = 0; c < classes; c++) {
      sa += a[off + c] * ka;
      sb += b[off + c] * kb;
    }
    // corrected two-pass means (see zscore.ts)
    const ma0 = sa / classes;
    const mb0 = sb / classes;
    let ca = 0;
    let cb = 0;
    for (let c = 0; c < classes; c++) {
      ca += a[off + c] * ka - ma0;
      cb += b[off + c] * kb - mb0;
    }
    ca /= classes;
    cb /= classes;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    for (let c = 0; c < classes; c++) {
      const da = a[off + c] * ka - ma0 - ca;
      const db = b[off + c] * kb - mb0 - cb;
      saa += da * da;
      sbb += db * db;
      sab += da * db;
    }
    const rho = sab / (Math.sqrt(saa) * Math.sqrt(sbb));
    out[r] = rho > 1 ? 1 : rho < -1 ? -1 : rho;
  }
  return out;
}

/**
 * The large-temperature limit of the standardized KD loss per row:
 * lim_{T -> inf} T^2 KL(softmax(t'/T) || softmax(s'/T)) = (C - 1)(1 - rho) / C, with rho the
 * Pearson correlation of the student and teacher rows and t', s' their z-scores (n-1 divisor).
 * Returns a Float64Array of B values in [0, 2(C-1)/C]. See README "Correlation limit".
 */
export function correlationLimit(student: Logits, teacher: Logits, classes: number): Float64Array {
  const rho = pearson(student, teacher, classes);
  const k = (classes - 1) / classes;
  for (let r = 0; r < rho.length; r++) rho[r] = k * (1 - rho[r]);
  return rho;
}
