// Property 4 — invariances: the standardized loss and temperature are unchanged by z -> a z + b
// (a > 0) applied to either row and by one class permutation applied to both; KL >= 0.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kdLossPerRow, maxLogitTemperature, type KdTemperature } from '../src/index.js';
import { check, close, pairArb, rowStd } from './helpers.js';

const MODES: KdTemperature[] = ['adaptive', 'adaptive-teacher', 0.5, 4];

const affineArb = fc.record({
  a: fc.double({ min: 0.5, max: 2, noNaN: true }),
  b: fc.double({ min: -100, max: 100, noNaN: true }),
  which: fc.constantFrom('teacher', 'student', 'both'),
});

/** Rows with a spread large enough that eps = 1e-7 in the z-score is below 1e-5 relative. */
const spreadPairArb = pairArb({ maxClasses: 40 }).filter(({ rows, classes, teacher, student }) => {
  for (let b = 0; b < rows; b++) if (rowStd(teacher, classes, b) < 0.05 || rowStd(student, classes, b) < 0.05) return false;
  return true;
});

describe('property 4: invariances', () => {
  it('invariance.affine: loss and temperature unchanged by z -> a z + b (a > 0) on either row', () => {
    check(
      'invariance.affine',
      0x1a0a01,
      fc.property(spreadPairArb, affineArb, ({ classes, teacher, student }, { a, b, which }) => {
        const t2 = which === 'student' ? teacher : teacher.map((v) => a * v + b);
        const s2 = which === 'teacher' ? student : student.map((v) => a * v + b);
        // eps = 0: exact invariance up to float64 rounding
        const T0 = maxLogitTemperature(teacher, classes, { student, eps: 0 });
        const T1 = maxLogitTemperature(t2, classes, { student: s2, eps: 0 });
        T0.forEach((v, i) => expect(close(v, T1[i], 1e-9)).toBe(true));
        // default eps = 1e-7: invariant to within eps / (a * std) relative
        const U0 = maxLogitTemperature(teacher, classes);
        const U1 = maxLogitTemperature(t2, classes);
        U0.forEach((v, i) => expect(close(v, U1[i], 1e-5)).toBe(true));
        for (const temperature of MODES) {
          const l0 = kdLossPerRow(student, teacher, classes, { temperature, eps: 0 });
          const l1 = kdLossPerRow(s2, t2, classes, { temperature, eps: 0 });
          l0.forEach((v, i) => expect(close(v, l1[i], 1e-8, 1e-11)).toBe(true));
          const m0 = kdLossPerRow(student, teacher, classes, { temperature });
          const m1 = kdLossPerRow(s2, t2, classes, { temperature });
          m0.forEach((v, i) => expect(close(v, m1[i], 1e-4, 1e-6)).toBe(true));
        }
      }),
    );
  });

  it('invariance.permutation: one class permutation applied to both rows changes nothing', () => {
    check(
      'invariance.permutation',
      0x1a0a02,
      fc.property(
        pairArb({ degenerate: true }).chain((p) =>
          fc.record({ p: fc.constant(p), keys: fc.array(fc.double({ noNaN: true }), { minLength: p.classes, maxLength: p.classes }) }),
        ),
        ({ p: { rows, classes, teacher, student }, keys }) => {
          const perm = keys.map((k, i) => [k, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]).map(([, i]) => i);
          const permute = (x: Float64Array) => {
            const y = new Float64Array(x.length);
            for (let b = 0; b < rows; b++) for (let c = 0; c < classes; c++) y[b * classes + c] = x[b * classes + perm[c]];
            return y;
          };
          const tp = permute(teacher);
          const sp = permute(student);
          const T0 = maxLogitTemperature(teacher, classes, { student });
          const T1 = maxLogitTemperature(tp, classes, { student: sp });
          T0.forEach((v, i) => expect(close(v, T1[i], 1e-12)).toBe(true));
          for (const standardize of [true, false]) {
            for (const temperature of MODES) {
              const l0 = kdLossPerRow(student, teacher, classes, { temperature, standardize });
              const l1 = kdLossPerRow(sp, tp, classes, { temperature, standardize });
              l0.forEach((v, i) => expect(close(v, l1[i], 1e-9, 1e-12)).toBe(true));
            }
          }
        },
      ),
    );
  });

  it('invariance.kl-nonnegative: T^2 KL >= 0 for every row, temperature mode and standardization', () => {
    check(
      'invariance.kl-nonnegative',
      0x1a0a03,
      fc.property(pairArb({ degenerate: true }), fc.double({ min: 0.05, max: 50, noNaN: true }), fc.boolean(), ({ classes, teacher, student }, T, standardize) => {
        for (const temperature of ['adaptive', 'adaptive-teacher', T] as KdTemperature[]) {
          const temps = new Float64Array(teacher.length / classes);
          const loss = kdLossPerRow(student, teacher, classes, { temperature, standardize, temperaturesOut: temps });
          loss.forEach((v, i) => {
            // rounding floor: the KL sum has terms up to max|x|/T in size
            let m = 0;
            for (let c = 0; c < classes; c++) m = Math.max(m, Math.abs(teacher[i * classes + c]), Math.abs(student[i * classes + c]));
            const floor = standardize ? 1e-13 * classes : 1e-15 * classes * (1 + m / temps[i]) * temps[i] * temps[i];
            expect(v).toBeGreaterThanOrEqual(-floor);
            expect(Number.isFinite(v)).toBe(true);
          });
        }
      }),
    );
  });
});
