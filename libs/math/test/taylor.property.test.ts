// Property 2 — Taylor soft targets inside the radius: a distribution for every order >= 1, error
// against the exact softmax within the derived bound, error bound (and per-class series error)
// non-increasing in the order, order 8 within 1e-6.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONVERGENCE_RADIUS, maxLogitTemperature, softmax, taylorRemainderBound, taylorSoftmax, taylorSoftmaxErrorBound, zscore } from '../src/index.js';
import { batchArb, check, must } from './helpers.js';

const A = CONVERGENCE_RADIUS;
const ORDERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16];

/** Uniform bound (README): sum_c |q_c - p_c| <= 2 e^a a^(n+1) / ((n+1)! (2 - sqrt 3)) for |x| <= a. */
function uniformL1Bound(order: number): number {
  let p = 1;
  for (let k = 1; k <= order + 1; k++) p *= A / k;
  return (2 * Math.exp(A) * p) / (2 - Math.sqrt(3));
}

/** Logits inside the radius: z-scored batch divided by its max-logit temperature (x = z'/T). */
const insideArb = fc.tuple(batchArb({ degenerate: true }), fc.boolean()).map(([b, f32]) => {
  const z = zscore(f32 ? Float32Array.from(b.data) : b.data, b.classes);
  const T = maxLogitTemperature(z, b.classes, { standardize: false });
  return { ...b, z, T };
});

describe('property 2: Taylor soft targets inside the radius', () => {
  it('taylor.distribution: >= 0 and sums to 1 (1e-6) for every order >= 1', () => {
    check(
      'taylor.distribution',
      0x7a1101,
      fc.property(insideArb, fc.integer({ min: 1, max: 40 }), ({ rows, classes, z, T }, order) => {
        const q = taylorSoftmax(z, classes, T, order);
        for (let b = 0; b < rows; b++) {
          let s = 0;
          for (let c = 0; c < classes; c++) {
            must(q[b * classes + c] >= 0, () => `q[${b}, ${c}] = ${q[b * classes + c]} < 0 (order ${order})`);
            s += q[b * classes + c];
          }
          must(Math.abs(s - 1) <= 1e-6, () => `row ${b} sums to ${s} (order ${order})`);
        }
      }),
    );
  });

  it('taylor.series-positive: P_n(x) >= 2 - sqrt(3) > 0 for |x| <= sqrt(3)-1 and every order n >= 1', () => {
    check(
      'taylor.series-positive',
      0x7a1102,
      fc.property(fc.double({ min: -A, max: A, noNaN: true }), fc.integer({ min: 1, max: 60 }), (x, order) => {
        const q = taylorSoftmax(Float64Array.of(x, 0), 2, 1, order);
        // q0/q1 = P_n(x)/P_n(0) = P_n(x)
        expect(q[0] / q[1]).toBeGreaterThanOrEqual(2 - Math.sqrt(3) - 1e-15);
      }),
    );
  });

  it('taylor.error-within-bound: sum_c |q_c - p_c| <= 2R/Q (taylorSoftmaxErrorBound) <= uniform bound', () => {
    check(
      'taylor.error-within-bound',
      0x7a1103,
      fc.property(insideArb, ({ rows, classes, z, T }) => {
        const p = softmax(z, classes, T);
        for (const order of ORDERS) {
          const q = taylorSoftmax(z, classes, T, order);
          const bound = taylorSoftmaxErrorBound(z, classes, T, order);
          for (let b = 0; b < rows; b++) {
            let l1 = 0;
            for (let c = 0; c < classes; c++) l1 += Math.abs(q[b * classes + c] - p[b * classes + c]);
            // 1e-15 absorbs float64 rounding of the two computations
            expect(l1).toBeLessThanOrEqual(bound[b] * (1 + 1e-9) + 1e-15 * classes);
            expect(bound[b]).toBeLessThanOrEqual(uniformL1Bound(order) * (1 + 1e-9));
          }
        }
      }),
    );
  });

  it('taylor.error-monotone: per-class series error |e^x - P_n(x)| and the guaranteed bound never grow with the order', () => {
    check(
      'taylor.error-monotone',
      0x7a1104,
      fc.property(fc.double({ min: -A, max: A, noNaN: true }), (x) => {
        let prevErr = Infinity;
        let prevBound = Infinity;
        for (let order = 0; order <= 20; order++) {
          // P_n(x) recovered from the 2-class Taylor softmax of (x, 0): q0/q1 = P_n(x)
          const q = taylorSoftmax(Float64Array.of(x, 0), 2, 1, order);
          const err = Math.abs(Math.exp(x) - q[0] / q[1]);
          expect(err).toBeLessThanOrEqual(prevErr + 2e-15); // q0/q1 carries a few ulps of rounding
          expect(err).toBeLessThanOrEqual(taylorRemainderBound(x, order) + 2e-15);
          const ub = uniformL1Bound(order);
          expect(ub).toBeLessThanOrEqual(prevBound);
          prevErr = err;
          prevBound = ub;
        }
      }),
    );
  });

  it('taylor.order8: order 8 is within 1e-6 of the exact softmax (max over classes)', () => {
    check(
      'taylor.order8',
      0x7a1105,
      fc.property(insideArb, ({ classes, z, T }) => {
        const p = softmax(z, classes, T);
        const q = taylorSoftmax(z, classes, T, 8);
        for (let i = 0; i < p.length; i++) must(Math.abs(q[i] - p[i]) <= 1e-6, () => `|q - p| = ${Math.abs(q[i] - p[i])} > 1e-6 at index ${i}`);
      }),
    );
  });

  it('taylor.order8-worst-case: two classes at +-(sqrt3-1) (the README bound 9.5e-7 case) stay within 1e-6', () => {
    const z = Float64Array.of(A, -A, A, -A, -A, -A);
    const p = softmax(z, 2, 1);
    const q = taylorSoftmax(z, 2, 1, 8);
    for (let i = 0; i < p.length; i++) expect(Math.abs(q[i] - p[i])).toBeLessThanOrEqual(1e-6);
    expect(uniformL1Bound(8)).toBeLessThan(3e-6);
  });

  it('taylor.not-pointwise-monotone: the normalised error itself can grow with the order (documented counterexample)', () => {
    // log P_1(x) - x takes the same value at x = 0.5 and x ~ -0.3742: order 1 is exact by luck, order 2 is not.
    const z = Float64Array.of(0.5, -0.374217);
    const p = softmax(z, 2, 1);
    const e1 = Math.abs(taylorSoftmax(z, 2, 1, 1)[0] - p[0]);
    const e2 = Math.abs(taylorSoftmax(z, 2, 1, 2)[0] - p[0]);
    expect(e1).toBeLessThan(1e-6);
    expect(e2).toBeGreaterThan(1e-3);
    expect(e2).toBeLessThanOrEqual(taylorSoftmaxErrorBound(z, 2, 1, 2)[0]);
  });
});
