// DKD and MLKD properties: non-negativity, zero when the rows agree, invariances of the standardized
// loss, the DKD decomposition of KD (KL = TCKD + (1 - p_g) NCKD), a naive float64 reference, and the
// MLKD terms' symmetries. Every property runs NUM_RUNS cases with a fixed seed (ATKD_MATH_SEED overrides).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchConsistencyLoss,
  classConsistencyLoss,
  dkdLoss,
  dkdLossPerRow,
  kdLossPerRow,
  median,
  mlkdLoss,
  mlkdMasks,
  softmax,
  zscore,
  type KdTemperature,
} from '../src/index.js';
import { check, close, must, pairArb, rowStd } from './helpers.js';

const MODES: KdTemperature[] = ['adaptive', 'adaptive-paired', 'adaptive-teacher', 0.5, 4];

/** A pair with labels (one per row). */
const labelledArb = (options: Parameters<typeof pairArb>[0] = {}) =>
  pairArb(options).chain((p) => fc.record({ pair: fc.constant(p), labels: fc.array(fc.integer({ min: 0, max: p.classes - 1 }), { minLength: p.rows, maxLength: p.rows }) }));

/** Rows with a spread large enough that eps = 1e-7 in the z-score is below 1e-5 relative. */
const spread = (p: { rows: number; classes: number; teacher: Float64Array; student: Float64Array }) => {
  for (let b = 0; b < p.rows; b++) if (rowStd(p.teacher, p.classes, b) < 0.05 || rowStd(p.student, p.classes, b) < 0.05) return false;
  return true;
};

/** Naive DKD of one row pair (float64, 1 - p_g by subtraction): the definition, for moderate logits. */
function naiveDkd(t: number[], s: number[], g: number, T: number): [number, number] {
  const sm = (x: number[]) => {
    const e = x.map((v) => Math.exp(v / T));
    const z = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / z);
  };
  const pt = sm(t);
  const ps = sm(s);
  const tckd = pt[g] * Math.log(pt[g] / ps[g]) + (1 - pt[g]) * Math.log((1 - pt[g]) / (1 - ps[g]));
  const qt = sm(t.filter((_, c) => c !== g));
  const qs = sm(s.filter((_, c) => c !== g));
  const nckd = qt.reduce((a, p, c) => a + p * Math.log(p / qs[c]), 0);
  return [T * T * tckd, T * T * nckd];
}

describe('DKD properties', () => {
  it('dkd.nonnegative: T^2 TCKD, T^2 NCKD >= 0 and finite, every temperature, standardized or not', () => {
    check(
      'dkd.nonnegative',
      0xd7d001,
      fc.property(labelledArb({ degenerate: true }), fc.boolean(), ({ pair: { classes, teacher, student }, labels }, standardize) => {
        for (const temperature of MODES) {
          const tckd = new Float64Array(labels.length);
          const nckd = new Float64Array(labels.length);
          const per = dkdLossPerRow(student, teacher, labels, classes, { temperature, standardize, tckdOut: tckd, nckdOut: nckd });
          for (let b = 0; b < per.length; b++) {
            must(tckd[b] >= 0 && nckd[b] >= 0 && Number.isFinite(per[b]), () => `row ${b} (${String(temperature)}): tckd ${tckd[b]}, nckd ${nckd[b]}, loss ${per[b]}`);
            must(close(per[b], tckd[b] + 8 * nckd[b], 1e-12, 1e-300), () => `row ${b}: loss ${per[b]} != tckd + 8 nckd`);
          }
        }
      }),
    );
  });

  it('dkd.zero-when-agree: identical rows give exactly 0; a z + b of the teacher (standardized, eps 0) ~0', () => {
    check(
      'dkd.zero-when-agree',
      0xd7d002,
      fc.property(labelledArb({ degenerate: true }), fc.double({ min: 0.5, max: 3, noNaN: true }), fc.double({ min: -20, max: 20, noNaN: true }), ({ pair: { classes, teacher }, labels }, a, b0) => {
        for (const temperature of MODES) {
          for (const standardize of [true, false]) {
            for (const v of dkdLossPerRow(teacher, teacher, labels, classes, { temperature, standardize })) must(v === 0, () => `identical rows: ${v}`);
          }
          const shifted = teacher.map((v) => a * v + b0);
          dkdLossPerRow(shifted, teacher, labels, classes, { temperature, eps: 0 }).forEach((v, r) => {
            if (rowStd(teacher, classes, r) > 1e-3) must(v <= 1e-9, () => `row ${r}: loss ${v} of an affine copy`);
          });
        }
      }),
    );
  });

  it('dkd.invariance: standardized loss unchanged by a z + b (a > 0) on either row and by a class permutation of both rows and the label', () => {
    check(
      'dkd.invariance',
      0xd7d003,
      fc.property(
        labelledArb({ maxClasses: 30 }).filter(({ pair }) => spread(pair)),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        ({ pair: { rows, classes, teacher, student }, labels }, a, b0, shift) => {
          for (const temperature of MODES) {
            const base = dkdLossPerRow(student, teacher, labels, classes, { temperature, eps: 0 });
            const moved = dkdLossPerRow(student.map((v) => a * v + b0), teacher.map((v) => a * v - b0), labels, classes, { temperature, eps: 0 });
            // permutation c -> (c + shift) mod C of the classes of both rows, labels with it
            const perm = (x: Float64Array) => {
              const y = new Float64Array(x.length);
              for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) y[r * classes + ((c + shift) % classes)] = x[r * classes + c];
              return y;
            };
            const permuted = dkdLossPerRow(perm(student), perm(teacher), labels.map((g) => (g + shift) % classes), classes, { temperature, eps: 0 });
            for (let r = 0; r < rows; r++) {
              must(close(moved[r], base[r], 1e-7, 1e-11), () => `affine, row ${r} (${String(temperature)}): ${moved[r]} vs ${base[r]}`);
              must(close(permuted[r], base[r], 1e-9, 1e-12), () => `permutation, row ${r} (${String(temperature)}): ${permuted[r]} vs ${base[r]}`);
            }
          }
        },
      ),
    );
  });

  it('dkd.decomposition: T^2 KL = T^2 TCKD + (1 - p_g^teacher) T^2 NCKD (Zhao et al. 2022, eq. 1)', () => {
    check(
      'dkd.decomposition',
      0xd7d004,
      fc.property(labelledArb(), fc.boolean(), ({ pair: { rows, classes, teacher, student }, labels }, standardize) => {
        for (const temperature of MODES) {
          const temps = new Float64Array(rows);
          const tckd = new Float64Array(rows);
          const nckd = new Float64Array(rows);
          dkdLossPerRow(student, teacher, labels, classes, { temperature, standardize, temperaturesOut: temps, tckdOut: tckd, nckdOut: nckd });
          const kd = kdLossPerRow(student, teacher, classes, { temperature, standardize });
          const p = softmax(standardize ? zscore(teacher, classes) : teacher, classes, temps);
          for (let r = 0; r < rows; r++) {
            const rhs = tckd[r] + (1 - p[r * classes + labels[r]]) * nckd[r];
            must(close(kd[r], rhs, 1e-7, 1e-10 * (1 + temps[r] ** 2)), () => `row ${r} (${String(temperature)}): KD ${kd[r]} vs TCKD + (1-p) NCKD ${rhs}`);
          }
        }
      }),
    );
  });

  it('dkd.reference: matches the naive definition (moderate standardized logits, fixed and adaptive T)', () => {
    check(
      'dkd.reference',
      0xd7d005,
      fc.property(labelledArb({ maxClasses: 20 }).filter(({ pair }) => spread(pair)), ({ pair: { rows, classes, teacher, student }, labels }) => {
        for (const temperature of ['adaptive', 'adaptive-teacher', 2, 4] as KdTemperature[]) {
          const temps = new Float64Array(rows);
          const tckd = new Float64Array(rows);
          const nckd = new Float64Array(rows);
          dkdLossPerRow(student, teacher, labels, classes, { temperature, temperaturesOut: temps, tckdOut: tckd, nckdOut: nckd });
          const zt = zscore(teacher, classes);
          const zs = zscore(student, classes);
          for (let r = 0; r < rows; r++) {
            const row = (x: Float64Array) => Array.from(x.subarray(r * classes, (r + 1) * classes));
            const [rt, rn] = naiveDkd(row(zt), row(zs), labels[r], temps[r]);
            // the naive 1 - p and log of ratios cancel for nearly equal rows: absolute floor
            must(close(tckd[r], rt, 1e-6, 1e-9 * temps[r] ** 2), () => `row ${r}: T^2 TCKD ${tckd[r]} vs naive ${rt}`);
            must(close(nckd[r], rn, 1e-6, 1e-9 * temps[r] ** 2), () => `row ${r}: T^2 NCKD ${nckd[r]} vs naive ${rn}`);
          }
        }
      }),
    );
  });

  it('weights, two classes, mean and argument errors', () => {
    const t = Float64Array.from([3, 1, 0, 2, 0, 5]);
    const s = Float64Array.from([1, 2, 0, 0, 4, 1]);
    const y = [0, 2];
    const tckd = new Float64Array(2);
    const nckd = new Float64Array(2);
    const one = dkdLossPerRow(s, t, y, 3, { alpha: 1, beta: 0, tckdOut: tckd, nckdOut: nckd });
    expect(Array.from(one)).toEqual(Array.from(tckd));
    expect(tckd[0]).toBeGreaterThan(0);
    expect(nckd[1]).toBeGreaterThan(0);
    const both = dkdLossPerRow(s, t, y, 3, { alpha: 2, beta: 3 });
    both.forEach((v, b) => expect(v).toBeCloseTo(2 * tckd[b] + 3 * nckd[b], 12));
    expect(dkdLoss(s, t, y, 3, { alpha: 2, beta: 3 })).toBeCloseTo((both[0] + both[1]) / 2, 12);
    // defaults: alpha 1, beta 8, 'adaptive' (paired), standardized
    expect(dkdLoss(s, t, y, 3)).toBeCloseTo(dkdLoss(s, t, y, 3, { alpha: 1, beta: 8, temperature: 'adaptive-paired', standardize: true }), 14);
    expect(dkdLoss(s, t, y, 3)).not.toBeCloseTo(dkdLoss(s, t, y, 3, { temperature: 'adaptive-teacher' }), 6);
    // C = 2: one non-target class, NCKD = 0
    const n2 = new Float64Array(2);
    dkdLossPerRow(Float64Array.from([0, 1, 2, 0]), Float64Array.from([1, 0, 0, 3]), [0, 1], 2, { nckdOut: n2 });
    expect(Array.from(n2)).toEqual([0, 0]);
    expect(() => dkdLoss(s, t, [0], 3)).toThrow(/labels has 1 values but the batch has 2 rows/);
    expect(() => dkdLoss(s, t, [0, 3], 3)).toThrow(/labels\[1\] is 3: a label must be an integer in \[0, 3\)/);
    expect(() => dkdLoss(s, t, [0, 1.5], 3)).toThrow(/labels\[1\]/);
    expect(() => dkdLoss(s, t, y, 3, { beta: -1 })).toThrow(/beta must be a finite number >= 0/);
    expect(() => dkdLoss(s, t, y, 3, { temperature: 'paired' as 'adaptive' })).toThrow(/'adaptive', 'adaptive-paired', 'adaptive-teacher'/);
    expect(() => dkdLoss(Float64Array.from([]), Float64Array.from([]), [], 3)).toThrow(/empty batch/);
    expect(() => dkdLoss(Float64Array.from([1, NaN, 0]), Float64Array.from([1, 2, 3]), [0], 3)).toThrow(/student\[row 0, column 1\] is NaN/);
  });
});

describe('MLKD properties', () => {
  const viewsArb = pairArb({ maxClasses: 12, maxRows: 6 }).chain((w) =>
    pairArb({ minClasses: w.classes, maxClasses: w.classes, maxRows: 6 })
      .filter((s) => s.rows === w.rows)
      .map((s) => ({ classes: w.classes, weak: { student: w.student, teacher: w.teacher }, strong: { student: s.student, teacher: s.teacher } })),
  );

  it('mlkd.terms: every term >= 0 and finite; 0 when students equal teachers on both views', () => {
    check(
      'mlkd.terms',
      0x31cd01,
      fc.property(viewsArb, fc.boolean(), ({ classes, weak, strong }, standardize) => {
        for (const temperature of ['adaptive', 'adaptive-teacher', 4] as const) {
          const m = mlkdLoss(weak, strong, classes, { temperature, standardize });
          for (const k of ['kdWeak', 'kdStrong', 'cc', 'bc'] as const) must(m[k] >= 0 && Number.isFinite(m[k]), () => `${k} = ${m[k]}`);
          must(close(m.total, m.kdWeak + m.kdStrong + m.cc + m.bc, 1e-14), () => 'total is not the sum of the terms');
          const same = mlkdLoss({ student: weak.teacher, teacher: weak.teacher }, { student: strong.teacher, teacher: strong.teacher }, classes, { temperature, standardize });
          must(same.total === 0, () => `agreeing views: total ${same.total}`);
        }
      }),
      100,
    );
  });

  it('mlkd.symmetries: BC unchanged by a row permutation, CC by a class permutation (both rows)', () => {
    check(
      'mlkd.symmetries',
      0x31cd02,
      fc.property(pairArb({ maxClasses: 12, maxRows: 6 }), fc.integer({ min: 1, max: 50 }), ({ rows, classes, teacher, student }, shift) => {
        const rowPerm = (x: Float64Array) => {
          const y = new Float64Array(x.length);
          for (let r = 0; r < rows; r++) y.set(x.subarray(r * classes, (r + 1) * classes), ((r + shift) % rows) * classes);
          return y;
        };
        const classPerm = (x: Float64Array) => {
          const y = new Float64Array(x.length);
          for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) y[r * classes + ((c + shift) % classes)] = x[r * classes + c];
          return y;
        };
        const bc = batchConsistencyLoss(student, teacher, classes, 3);
        const cc = classConsistencyLoss(student, teacher, classes, 3);
        must(close(batchConsistencyLoss(rowPerm(student), rowPerm(teacher), classes, 3), bc, 1e-9, 1e-15), () => 'BC changed by a row permutation');
        must(close(classConsistencyLoss(classPerm(student), classPerm(teacher), classes, 3), cc, 1e-9, 1e-15), () => 'CC changed by a class permutation');
      }),
    );
  });

  it('masks at the median (numpy percentile 50) and the quirks of the code', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    // teacher rows of growing confidence: the less confident half is kept
    const C = 4;
    const teacher = Float64Array.from([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
    const m = mlkdMasks(teacher, C);
    expect(Array.from(m.instance)).toEqual([1, 1, 0, 0]);
    expect(m.instanceShare).toBe(0.5);
    expect(Array.from(m.classes)).toEqual([1, 1, 1, 0]);
    expect(m.classShare).toBe(0.75);
    // the strong view's T = 2 and T = 6 instance terms read the weak view: with the strong students equal
    // to their teachers, kdStrong is exactly those two weak-view terms
    const student = Float64Array.from([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 1, 3, 0, 0, 0]);
    const strong = { student: teacher, teacher };
    const r = mlkdLoss({ student, teacher }, strong, C, { temperature: 4 });
    const zs = zscore(student, C);
    const zt = zscore(teacher, C);
    const kd = (T: number) => kdLossPerRow(zs, zt, C, { temperature: T, standardize: false }).reduce((a, v) => a + v, 0) / 4;
    expect(r.kdStrong).toBeCloseTo(kd(2) + kd(6), 12);
    expect(r.kdStrong).toBeGreaterThan(0);
    // the weak instance term is scaled by the mask's share, not restricted to the masked rows
    expect(r.kdWeak).toBeCloseTo(0.5 * (kd(4) + kd(3) + kd(5) + kd(2) + kd(6)), 12);
    expect(() => mlkdLoss({ student, teacher }, { student: teacher.subarray(0, 8), teacher: teacher.subarray(0, 8) }, C)).toThrow(/weak view has 4 rows but the strong view has 2/);
  });
});
