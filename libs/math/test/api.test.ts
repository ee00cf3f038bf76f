// Basic behaviour, argument validation and degenerate rows of the public API.
import { describe, expect, it } from 'vitest';
import {
  CONVERGENCE_RADIUS,
  DEGENERATE_TEMPERATURE,
  TEMPERATURE_SCALE,
  correlationLimit,
  kdLoss,
  kdLossPerRow,
  logSoftmax,
  maxLogitTemperature,
  pearson,
  softmax,
  taylorRemainderBound,
  taylorSoftmax,
  taylorSoftmaxErrorBound,
  zscore,
} from '../src/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('constants', () => {
  it('radius and temperature scale', () => {
    expect(CONVERGENCE_RADIUS).toBeCloseTo(0.7320508075688772, 15);
    expect(TEMPERATURE_SCALE * CONVERGENCE_RADIUS).toBeCloseTo(1, 15);
  });
});

describe('zscore', () => {
  it('uses the n-1 divisor and eps', () => {
    // row [1,2,3]: mean 2, sample std 1
    const z = zscore(f64([1, 2, 3, 10, 10, 40]), 3);
    const d = 1 + 1e-7;
    expect(Array.from(z.subarray(0, 3))).toEqual([-1 / d, 0, 1 / d]);
    // row [10,10,40]: mean 20, std sqrt((100+100+400)/2) = sqrt(300)
    const s = Math.sqrt(300) + 1e-7;
    expect(z[3]).toBeCloseTo(-10 / s, 14);
    expect(z[5]).toBeCloseTo(20 / s, 14);
  });
  it('accepts Float32Array, returns Float64Array, fills out', () => {
    const out = new Float64Array(4);
    const z = zscore(Float32Array.from([0, 2, 5, 5]), 2, 0, out);
    expect(z).toBe(out);
    expect(Array.from(z)).toEqual([-1 / Math.SQRT2, 1 / Math.SQRT2, 0, 0]);
  });
  it('degenerate row -> exact zeros, for any eps (also 0)', () => {
    for (const eps of [1e-7, 0]) {
      const z = zscore(f64([0.1, 0.1, 0.1, 0.1, 0.1, 1, 2, 3, 4, 5]), 5, eps);
      for (let c = 0; c < 5; c++) expect(z[c]).toBe(0);
      expect(z[9]).toBeGreaterThan(1);
    }
  });
  it('tiny spreads stay finite (no overflow of 1/std)', () => {
    const z = zscore(f64([0, 5e-324, 0]), 3, 0);
    for (const v of z) expect(Number.isFinite(v)).toBe(true);
    const T = maxLogitTemperature(f64([0, 5e-324, 0]), 3, { standardize: false });
    expect(T[0]).toBe(DEGENERATE_TEMPERATURE);
  });
});

describe('validation', () => {
  it('names the argument', () => {
    expect(() => zscore(f64([1, 2, 3]), 2)).toThrow(/logits.length \(3\) is not divisible by classes \(2\)/);
    expect(() => zscore(f64([1, 2]), 1)).toThrow(RangeError);
    expect(() => zscore(f64([1, 2]), 1)).toThrow(/classes must be an integer >= 2/);
    expect(() => zscore([1, 2] as unknown as Float64Array, 2)).toThrow(TypeError);
    expect(() => zscore(f64([1, 2]), 2, -1)).toThrow(/eps/);
    expect(() => softmax(f64([1, 2, 3, 4]), 2, [1])).toThrow(/temperature has 1 values but the batch has 2 rows/);
    expect(() => softmax(f64([1, 2]), 2, 0)).toThrow(/temperature must be a finite number > 0/);
    expect(() => softmax(f64([1, 2, 3, 4]), 2, [1, -2])).toThrow(/temperature\[1\]/);
    expect(() => taylorSoftmax(f64([1, 2]), 2, 1, 1.5)).toThrow(/order must be an integer/);
    expect(() => kdLoss(f64([1, 2]), f64([1, 2, 3, 4]), 2)).toThrow(/student has 1 rows but teacher has 2/);
    expect(() => kdLoss(f64([1, 2]), f64([1, 2]), 2, { temperature: 'hot' as 'adaptive' })).toThrow(/temperature must be/);
    expect(() => kdLoss(f64([]), f64([]), 2)).toThrow(/empty batch/);
    expect(() => maxLogitTemperature(f64([1, 2]), 2, { student: f64([1, 2, 3, 4]) })).toThrow(/teacher has 1 rows but student has 2/);
  });
  it('non-finite input -> RangeError naming row and column', () => {
    const bad = f64([1, 2, 3, 4, NaN, 6]);
    expect(() => zscore(bad, 3)).toThrow(/logits\[row 1, column 1\] is NaN/);
    expect(() => softmax(bad, 3, 1)).toThrow(/row 1, column 1/);
    expect(() => taylorSoftmax(bad, 3, 1, 2)).toThrow(/row 1, column 1/);
    expect(() => maxLogitTemperature(bad, 3)).toThrow(/teacher\[row 1, column 1\]/);
    expect(() => kdLoss(f64([0, 0, Infinity, 1, 1, 1]), f64([1, 2, 3, 4, 5, 6]), 3)).toThrow(/student\[row 0, column 2\] is Infinity/);
    expect(() => pearson(f64([1, 2]), f64([1, -Infinity]), 2)).toThrow(/b\[row 0, column 1\]/);
    expect(() => taylorRemainderBound(NaN, 2)).toThrow(RangeError);
  });
});

describe('softmax', () => {
  it('matches the definition and is stable for huge logits', () => {
    const p = softmax(f64([0, Math.log(3), 1000, 1000]), 2, 1);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(p[2]).toBe(0.5);
    const q = softmax(f64([0, 2, 0, 2]), 2, [1, 2]);
    expect(q[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(q[3]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    const l = logSoftmax(f64([0, Math.log(3)]), 2, 1);
    expect(l[0]).toBeCloseTo(Math.log(0.25), 15);
  });
});

describe('taylorSoftmax', () => {
  it('order 1 normalises 1 + x', () => {
    const q = taylorSoftmax(f64([0.5, -0.5, 0]), 3, 1, 1);
    expect(Array.from(q)).toEqual([1.5 / 3, 0.5 / 3, 1 / 3]);
  });
  it('order 2 normalises 1 + x + x^2/2, per-row T', () => {
    const q = taylorSoftmax(f64([1, 0, 1, 0]), 2, [2, 1], 2);
    const a = 1 + 0.5 + 0.125;
    expect(q[0]).toBeCloseTo(a / (a + 1), 15);
    expect(q[2]).toBeCloseTo(2.5 / 3.5, 15);
  });
  it('refuses a negative series outside the radius', () => {
    expect(() => taylorSoftmax(f64([-3, 0]), 2, 1, 1)).toThrow(/series is -2 at logits\[row 0, column 0\]/);
  });
  it('remainder bound: e^max(x,0)|x|^(n+1)/(n+1)!', () => {
    expect(taylorRemainderBound(0.5, 2)).toBeCloseTo(Math.exp(0.5) * 0.125 / 6, 15);
    expect(taylorRemainderBound(-0.5, 2)).toBeCloseTo(0.125 / 6, 15);
    expect(Math.abs(Math.exp(0.7) - (1 + 0.7 + 0.245))).toBeLessThanOrEqual(taylorRemainderBound(0.7, 2));
    const b = taylorSoftmaxErrorBound(f64([0.5, -0.5]), 2, 1, 3);
    expect(b[0]).toBeGreaterThan(0);
  });
});

describe('maxLogitTemperature', () => {
  it('teacher-only and paired', () => {
    const t = f64([1, 2, 3]);
    const s = f64([0, 0, 30]);
    const zt = zscore(t, 3);
    const zs = zscore(s, 3);
    const only = maxLogitTemperature(t, 3);
    expect(only[0]).toBeCloseTo(TEMPERATURE_SCALE * Math.max(...Array.from(zt, Math.abs)), 14);
    const paired = maxLogitTemperature(t, 3, { student: s });
    expect(paired[0]).toBeCloseTo(TEMPERATURE_SCALE * Math.max(...Array.from(zs, Math.abs), ...Array.from(zt, Math.abs)), 14);
    const raw = maxLogitTemperature(f64([1, -4, 2]), 3, { standardize: false });
    expect(raw[0]).toBeCloseTo(4 * TEMPERATURE_SCALE, 14);
  });
  it('degenerate rows get T = 1', () => {
    const t = maxLogitTemperature(f64([3, 3, 3, 0, 1, 2]), 3);
    expect(t[0]).toBe(DEGENERATE_TEMPERATURE);
    expect(t[1]).toBeGreaterThan(1);
    expect(maxLogitTemperature(f64([0, 0]), 2, { standardize: false })[0]).toBe(1);
  });
});

describe('kdLoss', () => {
  it('T^2 KL per row, mean over the batch', () => {
    const s = f64([0, 1, 2, 2, 1, 0]);
    const t = f64([0, 1, 2, 0, 1, 2]);
    const per = kdLossPerRow(s, t, 3, { temperature: 2, standardize: false });
    expect(per[0]).toBeCloseTo(0, 15);
    const pt = softmax(f64([0, 1, 2]), 3, 2);
    const ps = softmax(f64([2, 1, 0]), 3, 2);
    let kl = 0;
    for (let c = 0; c < 3; c++) kl += pt[c] * Math.log(pt[c] / ps[c]);
    expect(per[1]).toBeCloseTo(4 * kl, 14);
    expect(kdLoss(s, t, 3, { temperature: 2, standardize: false })).toBeCloseTo(2 * kl, 14);
  });
  it("'adaptive' (the default) is the paired temperature of the authors' code; 'adaptive-teacher' the teacher-only one", () => {
    const s = f64([0, 0, 5, 2, 1, 0]);
    const t = f64([0, 1, 2, 0, 1, 2]);
    const paired = maxLogitTemperature(t, 3, { student: s });
    const teacherOnly = maxLogitTemperature(t, 3);
    expect(paired[0]).toBeGreaterThan(teacherOnly[0] * 1.1); // the student row's max |z'| is the larger one
    for (const options of [{}, { temperature: 'adaptive' as const }, { temperature: 'adaptive-paired' as const }]) {
      const temps = new Float64Array(2);
      kdLossPerRow(s, t, 3, { ...options, temperaturesOut: temps });
      expect(Array.from(temps)).toEqual(Array.from(paired));
    }
    const temps = new Float64Array(2);
    kdLossPerRow(s, t, 3, { temperature: 'adaptive-teacher', temperaturesOut: temps });
    expect(Array.from(temps)).toEqual(Array.from(teacherOnly));
    expect(kdLoss(s, t, 3)).not.toBeCloseTo(kdLoss(s, t, 3, { temperature: 'adaptive-teacher' }), 6);
  });
  it('reports temperatures used', () => {
    const temps = new Float64Array(2);
    const s = f64([0, 1, 5, 2, 1, 0]);
    const t = f64([0, 1, 2, 0, 1, 2]);
    kdLossPerRow(s, t, 3, { temperature: 'adaptive-paired', temperaturesOut: temps });
    expect(Array.from(temps)).toEqual(Array.from(maxLogitTemperature(t, 3, { student: s })));
  });
  it('extreme scales stay finite: tiny temperatures, huge or tiny raw logits', () => {
    // raw teacher ~1e-308 gives T ~ 2e-308: x / T would overflow for the student, T^2 would underflow
    const t = f64([-1.6e-308, -1.6e-308, -1.6e-308, -1.6e-308, 1, 2, 3, 4]);
    const s = f64([0, 4, 0, 0, 1e300, -1e300, 0, 5]);
    for (const standardize of [true, false]) {
      for (const temperature of ['adaptive', 'adaptive-paired', 'adaptive-teacher', 1e-300, 1e300] as const) {
        const [row0, row1] = kdLossPerRow(s, t, 4, { temperature, standardize });
        expect(Number.isFinite(row0)).toBe(true);
        expect(row0).toBeGreaterThanOrEqual(0);
        // standardized rows keep T^2 KL small; raw +-1e300 logits at T ~ 1e300 have a true loss ~1e600: Infinity, never NaN
        if (standardize) expect(Number.isFinite(row1)).toBe(true);
        else expect(row1).toBeGreaterThan(0);
      }
    }
    const p = softmax(f64([1e300, -1e300, 0, 1]), 4, 1e-300);
    expect(Array.from(p)).toEqual([1, 0, 0, 0]);
    // huge and tiny rows z-score like their rescaled copies (no overflow of sums, no underflow of squares)
    const unit = zscore(f64([1, -1, 0, 0.5]), 4, 0);
    for (const scale of [1e300, 1e-300, 5e-324 * 2 ** 60]) {
      const z = zscore(f64([scale, -scale, 0, scale / 2]), 4, 0);
      for (let c = 0; c < 4; c++) expect(z[c]).toBeCloseTo(unit[c], 12);
    }
  });
  it('degenerate rows give a finite loss (0 when both degenerate)', () => {
    const s = f64([1, 1, 1, 0, 3, 1, 5, 5, 5]);
    const t = f64([2, 2, 2, 7, 7, 7, 0, 1, 2]);
    for (const temperature of ['adaptive', 'adaptive-paired', 'adaptive-teacher', 1] as const) {
      const per = kdLossPerRow(s, t, 3, { temperature });
      for (const v of per) expect(Number.isFinite(v)).toBe(true);
      expect(per[0]).toBe(0);
      expect(per[1]).toBeGreaterThan(0);
    }
  });
});

describe('pearson / correlationLimit', () => {
  it('rho and (C-1)(1-rho)/C', () => {
    const a = f64([1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 4, 4]);
    const b = f64([2, 4, 6, 3, 2, 1, 5, 5, 5, 4, 4, 4]);
    const rho = pearson(a, b, 3);
    [1, -1, 0, 1].forEach((v, i) => expect(rho[i]).toBeCloseTo(v, 14));
    const lim = correlationLimit(b, a, 3);
    [0, 4 / 3, 2 / 3, 0].forEach((v, i) => expect(lim[i]).toBeCloseTo(v, 14));
  });
});
