// Property 5 — agreement with a plain float64 reference written independently here: nested
// number[][] rows, textbook formulas (direct power sums, log-probabilities via log-sum-exp,
// KL as sum p (log p - log q)), no shared code with src/.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  correlationLimit,
  kdLoss,
  kdLossPerRow,
  logSoftmax,
  maxLogitTemperature,
  pearson,
  softmax,
  taylorSoftmax,
  zscore,
  type KdTemperature,
} from '../src/index.js';
import { check, close, must, pairArb } from './helpers.js';

// ---- the reference -------------------------------------------------------------------------
const toRows = (x: ArrayLike<number>, C: number): number[][] =>
  Array.from({ length: x.length / C }, (_, b) => Array.from({ length: C }, (_, c) => x[b * C + c]));
const sum = (r: number[]) => r.reduce((a, v) => a + v, 0);
/** Mean via the shifted-data formula r0 + mean(r - r0) (plain, and exact enough for offset-dominated rows). */
const mean = (r: number[]) => r[0] + sum(r.map((v) => v - r[0])) / r.length;
const isFlat = (r: number[]) => r.every((v) => v === r[0]);

function refZ(r: number[], eps: number): number[] {
  if (isFlat(r)) return r.map(() => 0); // documented convention: degenerate row -> zeros
  const m = mean(r);
  const sd = Math.sqrt(sum(r.map((v) => (v - m) ** 2)) / (r.length - 1));
  return r.map((v) => (v - m) / (sd + eps));
}
function refT(rows: number[][]): number {
  const m = Math.max(...rows.flatMap((r) => r.map(Math.abs)));
  const T = ((1 + Math.sqrt(3)) / 2) * m;
  return T >= 2.2250738585072014e-308 ? T : 1; // documented convention: degenerate -> 1
}
function refLogP(r: number[], T: number): number[] {
  const x = r.map((v) => v / T);
  const mx = Math.max(...x);
  const lse = mx + Math.log(sum(x.map((v) => Math.exp(v - mx))));
  return x.map((v) => v - lse);
}
function refTaylor(r: number[], T: number, n: number): number[] {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const P = r.map((v) => {
    const x = v / T;
    let s = 0;
    for (let k = 0; k <= n; k++) s += x ** k / fact(k);
    return s;
  });
  const S = sum(P);
  return P.map((v) => v / S);
}
function refKL(t: number[], s: number[], T: number): number {
  const lp = refLogP(t, T);
  const lq = refLogP(s, T);
  return sum(lp.map((l, c) => Math.exp(l) * (l - lq[c])));
}
function refPearson(a: number[], b: number[]): number {
  if (isFlat(a) || isFlat(b)) return isFlat(a) && isFlat(b) ? 1 : 0;
  const ma = mean(a);
  const mb = mean(b);
  const cov = sum(a.map((v, i) => (v - ma) * (b[i] - mb)));
  return cov / (Math.sqrt(sum(a.map((v) => (v - ma) ** 2))) * Math.sqrt(sum(b.map((v) => (v - mb) ** 2))));
}

// ---- the comparison ------------------------------------------------------------------------
function mustClose(actual: number, expected: number, rel: number, abs = 0): void {
  must(close(actual, expected, rel, abs), () => `got ${actual}, reference ${expected} (rel ${rel}, abs ${abs})`);
}

/**
 * Logits of moderate range: the naive reference has no protection against overflow/underflow or
 * against rows whose spread is tiny next to their offset (its mean then rounds away the spread),
 * so rows are constant or have spread >= 1e-4 * max |logit|.
 */
function moderateRows(x: Float64Array, C: number): boolean {
  for (let b = 0; b < x.length / C; b++) {
    const r = Array.from(x.subarray(b * C, (b + 1) * C));
    const lo = Math.min(...r);
    const hi = Math.max(...r);
    const big = Math.max(Math.abs(lo), Math.abs(hi));
    if (lo !== hi && hi - lo < 1e-4 * big) return false;
    if (r.some((v) => v !== 0 && (Math.abs(v) < 1e-100 || Math.abs(v) > 1e100))) return false;
  }
  return true;
}
const moderatePairArb = pairArb({ degenerate: true }).filter(({ classes, teacher, student }) => moderateRows(teacher, classes) && moderateRows(student, classes));

describe('property 5: agreement with an independent float64 reference', () => {
  it('reference.all-functions: zscore, temperature, softmax, log-softmax, taylor, kdLoss, pearson, limit', () => {
    check(
      'reference.all-functions',
      0x4ef501,
      fc.property(
        moderatePairArb,
        fc.boolean(),
        fc.double({ min: 0.1, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        ({ classes: C, teacher, student }, f32, fixedT, order) => {
          const t = f32 ? Float32Array.from(teacher) : teacher;
          const s = f32 ? Float32Array.from(student) : student;
          const tr = toRows(t, C);
          const sr = toRows(s, C);
          const B = tr.length;
          for (const eps of [1e-7, 0]) {
            const z = zscore(t, C, eps);
            tr.forEach((r, b) => refZ(r, eps).forEach((v, c) => mustClose(z[b * C + c], v, 1e-9, 1e-12)));
          }
          const zt = tr.map((r) => refZ(r, 1e-7));
          const zs = sr.map((r) => refZ(r, 1e-7));
          const Tonly = maxLogitTemperature(t, C);
          const Tpair = maxLogitTemperature(t, C, { student: s });
          const Traw = maxLogitTemperature(t, C, { standardize: false });
          for (let b = 0; b < B; b++) {
            mustClose(Tonly[b], refT([zt[b]]), 1e-9);
            mustClose(Tpair[b], refT([zt[b], zs[b]]), 1e-9);
            mustClose(Traw[b], refT([tr[b]]), 1e-12);
          }
          const perRowT = Array.from({ length: B }, (_, b) => fixedT * (1 + b));
          const p = softmax(t, C, perRowT);
          const lp = logSoftmax(t, C, fixedT);
          tr.forEach((r, b) => {
            refLogP(r, perRowT[b]).forEach((l, c) => mustClose(p[b * C + c], Math.exp(l), 1e-9, 1e-300));
            refLogP(r, fixedT).forEach((l, c) => mustClose(lp[b * C + c], l, 1e-9, 1e-9));
          });
          // Taylor soft targets of the z-scores inside the radius
          const zFlat = zscore(t, C);
          const q = taylorSoftmax(zFlat, C, Tonly, order);
          zt.forEach((r, b) => refTaylor(r, Tonly[b], order).forEach((v, c) => mustClose(q[b * C + c], v, 1e-9, 1e-15)));
          // loss, all temperature modes, standardized or not
          for (const standardize of [true, false]) {
            const tt = standardize ? zt : tr;
            const ss = standardize ? zs : sr;
            const modes: [KdTemperature, (b: number) => number][] = [
              ['adaptive-teacher', (b) => refT([tt[b]])],
              ['adaptive', (b) => refT([tt[b], ss[b]])],
              ['adaptive-paired', (b) => refT([tt[b], ss[b]])],
              [fixedT, () => fixedT],
              [perRowT, (b) => perRowT[b]],
            ];
            for (const [temperature, Tof] of modes) {
              const per = kdLossPerRow(s, t, C, { temperature, standardize });
              const ref = tt.map((r, b) => Tof(b) ** 2 * refKL(r, ss[b], Tof(b)));
              // the reference KL cancels catastrophically for nearly equal rows: compare with an absolute floor
              ref.forEach((v, b) => mustClose(per[b], v, 1e-7, 1e-10 * (1 + Tof(b) ** 2)));
              const mean = ref.reduce((a, v) => a + v, 0) / B;
              mustClose(kdLoss(s, t, C, { temperature, standardize }), mean, 1e-7, 1e-10 * (1 + Math.max(...ref.map((_, b) => Tof(b) ** 2))));
            }
          }
          const rho = pearson(s, t, C);
          const lim = correlationLimit(s, t, C);
          for (let b = 0; b < B; b++) {
            const r = refPearson(sr[b], tr[b]);
            mustClose(rho[b], r, 1e-9, 1e-12);
            mustClose(lim[b], ((C - 1) * (1 - r)) / C, 1e-9, 1e-12);
          }
        },
      ),
    );
  });
});
