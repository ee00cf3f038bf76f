// Property 1 — radius: with the max-logit temperature every |z'/T| <= sqrt(3) - 1, so the
// log-series argument u = x + x^2/2 stays within [-1, 1] (strictly inside except at x = sqrt(3) - 1
// exactly); just outside the radius (x > sqrt(3) - 1) u > 1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONVERGENCE_RADIUS, maxLogitTemperature, zscore } from '../src/index.js';
import { batchArb, check, must, pairArb } from './helpers.js';

const A = CONVERGENCE_RADIUS;
const U_MIN = 3 - 2 * Math.sqrt(3); // u(-a), the minimum of u on [-a, a]
const u = (x: number) => x + (x * x) / 2;

describe('property 1: radius', () => {
  it('radius.adaptive-temperature-bounds-u: |z\'/T| <= sqrt(3)-1 (+1e-6) and u in [3-2sqrt3, 1] (+1e-6), |u| < 1 off the boundary', () => {
    check(
      'radius.adaptive-temperature-bounds-u',
      0x5eed01,
      fc.property(pairArb({ degenerate: true }), fc.boolean(), fc.boolean(), ({ rows, classes, teacher, student }, paired, f32) => {
        const t = f32 ? Float32Array.from(teacher) : teacher;
        const s = f32 ? Float32Array.from(student) : student;
        const T = maxLogitTemperature(t, classes, paired ? { student: s } : {});
        const rowsToCheck = paired ? [zscore(t, classes), zscore(s, classes)] : [zscore(t, classes)];
        for (const z of rowsToCheck) {
          for (let b = 0; b < rows; b++) {
            for (let c = 0; c < classes; c++) {
              const x = z[b * classes + c] / T[b];
              const ux = u(x);
              const at = () => `row ${b}, class ${c}: x = ${x}, u = ${ux}, T = ${T[b]}`;
              must(Math.abs(x) <= A + 1e-6, () => `|x| > sqrt(3)-1 + 1e-6 at ${at()}`);
              must(Math.abs(ux) <= 1 + 1e-6, () => `|u| > 1 + 1e-6 at ${at()}`);
              must(ux >= U_MIN - 1e-12, () => `u < 3 - 2 sqrt 3 at ${at()}`);
              if (Math.abs(x) < A - 1e-6) must(Math.abs(ux) < 1, () => `|u| >= 1 strictly inside the radius at ${at()}`);
            }
          }
        }
      }),
    );
  });

  it('radius.outside-positive: x > sqrt(3)-1 gives u = x + x^2/2 > 1 (so |u| >= 1)', () => {
    check(
      'radius.outside-positive',
      0x5eed02,
      fc.property(fc.double({ min: A * (1 + 1e-12), max: 1e3, noNaN: true }), (x) => {
        expect(Math.abs(u(x))).toBeGreaterThanOrEqual(1);
        expect(u(x)).toBeGreaterThan(1);
      }),
    );
  });

  it('radius.boundary: u(sqrt(3)-1) = 1 exactly (the boundary is attained, so |u| <= 1, not < 1, at the arg-max class)', () => {
    expect(u(A)).toBeCloseTo(1, 15);
    // sqrt(3) - 1 is the positive root of x^2/2 + x - 1 = 0
    expect((A * A) / 2 + A - 1).toBeCloseTo(0, 15);
  });

  it('radius.negative-side: for -(1+sqrt3) < x < 0 the argument stays in [-1/2, 1) — the radius is set by the positive side', () => {
    check(
      'radius.negative-side',
      0x5eed03,
      fc.property(fc.double({ min: -(1 + Math.sqrt(3)) * (1 - 1e-9), max: -1e-300, noNaN: true }), (x) => {
        expect(u(x)).toBeGreaterThanOrEqual(-0.5);
        expect(u(x)).toBeLessThan(1);
      }),
    );
  });

  it('radius.attained: the arg-max |z\'| class sits exactly on the radius', () => {
    check(
      'radius.attained',
      0x5eed04,
      fc.property(batchArb(), ({ rows, classes, data }) => {
        const z = zscore(data, classes);
        const T = maxLogitTemperature(data, classes);
        for (let b = 0; b < rows; b++) {
          let m = 0;
          for (let c = 0; c < classes; c++) m = Math.max(m, Math.abs(z[b * classes + c] / T[b]));
          if (m > 0 && T[b] !== 1) expect(m).toBeCloseTo(A, 12);
        }
      }),
    );
  });
});
