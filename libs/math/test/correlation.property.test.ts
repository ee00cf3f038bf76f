// Property 3 — correlation limit: for z-scored rows (n-1 divisor, so sum z'^2 = C - 1),
// |T^2 KL(softmax(t'/T) || softmax(s'/T)) - (C-1)(1-rho)/C| <= (e^(2M/T) - 1) L <= K/T for T >= 2M,
// K = 2e M L, M = max(max|t'|, max|s'|); rho = 1 gives loss 0.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationLimit, kdLossPerRow, pearson, zscore } from '../src/index.js';
import { check, isConstantRow, pairArb } from './helpers.js';

function rowMaxAbs(z: Float64Array, classes: number, b: number): number {
  let m = 0;
  for (let c = 0; c < classes; c++) m = Math.max(m, Math.abs(z[b * classes + c]));
  return m;
}

describe('property 3: correlation limit', () => {
  it('correlation.gap-within-K-over-T: |T^2 KL - (C-1)(1-rho)/C| <= (e^(2M/T)-1)L <= K/T, K = 2eML <= 4e(C-1)^2/C^1.5', () => {
    check(
      'correlation.gap-within-K-over-T',
      0xc0de01,
      fc.property(pairArb(), ({ rows, classes, teacher, student }) => {
        const zt = zscore(teacher, classes, 0);
        const zs = zscore(student, classes, 0);
        const L = correlationLimit(student, teacher, classes);
        const C = classes;
        for (let b = 0; b < rows; b++) {
          if (isConstantRow(teacher, C, b) || isConstantRow(student, C, b)) continue; // limit formula needs two non-constant rows
          const M = Math.max(rowMaxAbs(zt, C, b), rowMaxAbs(zs, C, b));
          const K = 2 * Math.E * M * L[b];
          expect(M).toBeLessThanOrEqual(((C - 1) / Math.sqrt(C)) * (1 + 1e-12));
          expect(K).toBeLessThanOrEqual(((4 * Math.E * (C - 1) ** 2) / C ** 1.5) * (1 + 1e-12));
          const t1 = zt.slice(b * C, (b + 1) * C);
          const s1 = zs.slice(b * C, (b + 1) * C);
          let prevEnvelope = Infinity;
          for (let k = 0; k <= 10; k++) {
            const T = 2 * M * 2 ** k;
            const loss = kdLossPerRow(s1, t1, C, { temperature: T, standardize: false })[0];
            const gap = Math.abs(loss - L[b]);
            const tol = 1e-14 * T * T * (1 + M) + 1e-12 * (1 + L[b]); // float64 rounding of KL, scaled by T^2
            const envelope = Math.expm1((2 * M) / T) * L[b];
            expect(gap).toBeLessThanOrEqual(envelope + tol);
            expect(gap).toBeLessThanOrEqual(K / T + tol);
            expect(envelope).toBeLessThanOrEqual(prevEnvelope);
            prevEnvelope = envelope;
          }
        }
      }),
    );
  });

  it('correlation.rho-one-zero-loss: s = alpha t + beta (alpha > 0) gives rho = 1, limit 0 and loss 0 at every temperature', () => {
    check(
      'correlation.rho-one-zero-loss',
      0xc0de02,
      fc.property(
        pairArb(),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        ({ classes, teacher }, alpha, beta) => {
          const student = teacher.map((v) => alpha * v + beta);
          const rho = pearson(student, teacher, classes);
          const lim = correlationLimit(student, teacher, classes);
          // In floating point alpha t + beta is an affine image only up to rounding: skip rows whose spread is
          // within 1e-6 of that rounding level (this includes tiny rows that underflow to a constant row).
          const skip = (b: number) => {
            if (isConstantRow(teacher, classes, b) || isConstantRow(student, classes, b)) return true;
            const row = Array.from(teacher.subarray(b * classes, (b + 1) * classes));
            const spread = Math.max(...row) - Math.min(...row);
            const level = Math.max(...row.map(Math.abs)) + Math.abs(beta) / alpha;
            return spread < 1e-6 * level || spread < 1e-280;
          };
          for (let b = 0; b < rho.length; b++) {
            if (skip(b)) continue;
            expect(rho[b]).toBeCloseTo(1, 8);
            expect(lim[b]).toBeLessThanOrEqual(1e-8);
          }
          for (const temperature of ['adaptive', 'adaptive-teacher', 1, 100] as const) {
            // eps = 0: the z-scores of t and alpha t + beta coincide up to rounding
            kdLossPerRow(student, teacher, classes, { temperature, eps: 0 }).forEach((v, b) => {
              if (!skip(b)) expect(v).toBeLessThanOrEqual(1e-9);
            });
            // identical rows: exactly 0 with the default eps
            for (const v of kdLossPerRow(teacher, teacher, classes, { temperature })) expect(v === 0).toBe(true);
          }
        },
      ),
    );
  });

  it('correlation.shrinks: a fixed pair approaches its limit (gap x 1000 T smaller than gap at T)', () => {
    const C = 10;
    const t = Float64Array.from({ length: C }, (_, i) => Math.sin(i * 1.7) * 3 + i * 0.1);
    const s = Float64Array.from({ length: C }, (_, i) => Math.cos(i * 0.9) * 2 - i * 0.05);
    const zt = zscore(t, C, 0);
    const zs = zscore(s, C, 0);
    const L = correlationLimit(s, t, C)[0];
    const gaps = [1, 10, 100, 1000].map((T) => Math.abs(kdLossPerRow(zs, zt, C, { temperature: T, standardize: false })[0] - L));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeLessThan(gaps[i - 1]);
    expect(gaps[3]).toBeLessThan(gaps[0] / 100);
  });
});
