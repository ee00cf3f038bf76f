import { CONVERGENCE_RADIUS, kdLossPerRow, maxLogitTemperature, zscore } from '@atkd/math';
import { describe, expect, it } from 'vitest';
import {
  createCtkd,
  ctkdLambda,
  ctkdTemperature,
  dtkdTemperatures,
  finishPairedTemperatures,
  getStrategy,
  isLearnable,
  kdLossTemperatureGradient,
  listStrategies,
  pairedTemperatures,
  roundUpToFloat32,
  strategyNames,
  teacherOnlyTemperatures,
} from '../src/index.js';
import { randomLogits } from './helpers.js';

const C = 100;
const B = 16;
const teacher = randomLogits(B, C, 7, 8);
const student = randomLogits(B, C, 11, 3);

describe('registry', () => {
  it('lists the seven strategies and builds each by name', () => {
    expect(strategyNames()).toEqual(['static', 'logit-standardization', 'adaptive', 'adaptive-paired', 'adaptive-teacher', 'ctkd', 'dtkd']);
    for (const { name, needsStudent, standardizes } of listStrategies()) {
      const s = getStrategy(name);
      expect(s.name).toBe(name);
      expect(s.needsStudent).toBe(needsStudent);
      expect(s.standardizes).toBe(standardizes);
      const t = s.compute(teacher, C);
      expect(t).toBeInstanceOf(Float32Array);
      expect(t.length).toBe(B);
      expect(t.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    }
  });

  it('rejects an unknown name listing the known ones, and bad options naming them', () => {
    expect(() => getStrategy('hot')).toThrow('unknown temperature strategy "hot" (known: static, logit-standardization, adaptive, adaptive-paired, adaptive-teacher, ctkd, dtkd)');
    expect(() => getStrategy('static', { temp: 3 })).toThrow('strategy "static" has no option "temp" (options: temperature)');
    expect(() => getStrategy('static', { temperature: -1 })).toThrow('strategy "static": option "temperature" must be > 0, got -1');
    expect(() => getStrategy('static', { temperature: 'warm' })).toThrow('option "temperature" must be a number');
    expect(() => getStrategy('adaptive', { standardize: 'maybe' })).toThrow('option "standardize" must be true or false');
  });

  it('accepts option strings from a command line', () => {
    expect(getStrategy('static', { temperature: '2.5' }).compute(teacher, C)[0]).toBe(2.5);
    expect(getStrategy('adaptive', { standardize: 'false' }).standardizes).toBe(false);
  });
});

describe('each strategy against @atkd/math on the same logits', () => {
  it('static: T everywhere (default 4), raw logits', () => {
    const s = getStrategy('static');
    expect(Array.from(s.compute(teacher, C))).toEqual(new Array(B).fill(4));
    expect(s.standardizes).toBe(false);
  });

  it('logit-standardization: base temperature 2 on z-scored logits', () => {
    const s = getStrategy('logit-standardization');
    expect(Array.from(s.compute(teacher, C))).toEqual(new Array(B).fill(2));
    expect(s.standardizes).toBe(true);
    expect(s.eps).toBe(1e-7);
  });

  it('adaptive-teacher: maxLogitTemperature of the teacher rounded up to float32, keeping every |z/T| inside the radius', () => {
    const t = getStrategy('adaptive-teacher').compute(teacher, C);
    const ref = maxLogitTemperature(teacher, C);
    const z = zscore(teacher, C);
    for (let b = 0; b < B; b++) {
      expect(t[b]).toBeGreaterThanOrEqual(ref[b]);
      expect((t[b] - ref[b]) / ref[b]).toBeLessThan(2 ** -23);
      for (let c = 0; c < C; c++) expect(Math.abs(z[b * C + c] / t[b])).toBeLessThanOrEqual(CONVERGENCE_RADIUS);
    }
    expect(getStrategy('adaptive-teacher').needsStudent).toBe(false);
    const raw = getStrategy('adaptive-teacher', { standardize: false }).compute(teacher, C);
    const refRaw = maxLogitTemperature(teacher, C, { standardize: false });
    for (let b = 0; b < B; b++) expect(raw[b]).toBe(roundUpToFloat32(refRaw[b]));
  });

  for (const name of ['adaptive', 'adaptive-paired']) it(`${name} (paired, the authors' code): provisional = teacher-only, final = paired maxLogitTemperature; finish from provisional agrees`, () => {
    const s = getStrategy(name);
    expect(s.name).toBe(name);
    expect(s.needsStudent).toBe(true);
    const provisional = s.compute(teacher, C);
    expect(provisional).toEqual(teacherOnlyTemperatures(teacher, C));
    const final = s.compute(teacher, C, student);
    const ref = maxLogitTemperature(teacher, C, { student });
    for (let b = 0; b < B; b++) {
      expect(final[b]).toBe(roundUpToFloat32(ref[b]));
      expect(final[b]).toBeGreaterThanOrEqual(provisional[b]);
    }
    // the student's row is the larger one on some rows: paired differs from teacher-only there
    expect(final.some((v, b) => v > provisional[b])).toBe(true);
    expect(finishPairedTemperatures(provisional, student, C)).toEqual(final);
    expect(pairedTemperatures(teacher, student, C)).toEqual(final);
    const done = s.finish!(teacher, student, C);
    expect(done.teacher).toEqual(final);
    expect(done.lossScale[3]).toBeCloseTo(final[3] * final[3], 4);
    // the student's z-scores are inside the radius too
    const zs = zscore(student, C);
    for (let i = 0; i < zs.length; i++) expect(Math.abs(zs[i] / final[Math.floor(i / C)])).toBeLessThanOrEqual(CONVERGENCE_RADIUS);
  });

  it('dtkd: 2*max/(t_max+s_max)*tau per row, summing to 2 tau, provisional tau', () => {
    const s = getStrategy('dtkd');
    expect(Array.from(s.compute(teacher, C))).toEqual(new Array(B).fill(4));
    const done = dtkdTemperatures(teacher, student, C, 4);
    for (let b = 0; b < B; b++) {
      const tm = Math.max(...teacher.subarray(b * C, (b + 1) * C));
      const sm = Math.max(...student.subarray(b * C, (b + 1) * C));
      expect(done.teacher[b]).toBeCloseTo(((2 * tm) / (tm + sm)) * 4, 5);
      expect(done.student[b]).toBeCloseTo(((2 * sm) / (tm + sm)) * 4, 5);
      expect(done.teacher[b] + done.student[b]).toBeCloseTo(8, 5);
      expect(done.lossScale[b]).toBeCloseTo(done.teacher[b] * done.student[b], 4);
      expect(done.teacher[b]).toBeGreaterThan(done.student[b]); // the sharper teacher (scale 8 vs 3) gets the higher T
    }
    expect(s.compute(teacher, C, student)).toEqual(done.teacher);
    expect(s.computeStudent!(teacher, C, student)).toEqual(done.student);
    // a row whose max logit is not positive falls back to tau
    const neg = new Float32Array([-1, -2, -3, 1, 2, 3]);
    const fb = dtkdTemperatures(neg, new Float32Array([1, 2, 3, 1, 2, 3]), 3, 4);
    expect(fb.fallbackRows).toBe(1);
    expect(fb.teacher[0]).toBe(4);
    expect(fb.teacher[1]).toBe(4);
  });
});

describe('KD loss gradient in T (analytic) against finite differences', () => {
  const cases: Array<[string, boolean]> = [
    ['raw logits', false],
    ['z-scored logits', true],
  ];
  for (const [label, standardize] of cases) {
    it(`matches central differences of @atkd/math kdLossPerRow (${label})`, () => {
      for (const T of [0.7, 2, 4, 15.6]) {
        const { loss, gradient } = kdLossTemperatureGradient(teacher, student, C, T, { standardize });
        const ref = kdLossPerRow(student, teacher, C, { temperature: T, standardize });
        const h = 1e-4 * T;
        const up = kdLossPerRow(student, teacher, C, { temperature: T + h, standardize });
        const dn = kdLossPerRow(student, teacher, C, { temperature: T - h, standardize });
        for (let b = 0; b < B; b++) {
          expect(loss[b]).toBeCloseTo(ref[b], 9);
          const fd = (up[b] - dn[b]) / (2 * h);
          expect(Math.abs(gradient[b] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        }
      }
    });
  }

  it('is zero when the student equals the teacher', () => {
    const { loss, gradient } = kdLossTemperatureGradient(teacher, teacher, C, 3);
    for (let b = 0; b < B; b++) {
      expect(Math.abs(loss[b])).toBeLessThan(1e-12);
      expect(Math.abs(gradient[b])).toBeLessThan(1e-10);
    }
  });
});

describe('ctkd', () => {
  it('starts at T = 1 + 20 sigmoid(1) and is learnable', () => {
    const s = getStrategy('ctkd');
    expect(isLearnable(s)).toBe(true);
    expect(s.compute(teacher, C)[0]).toBeCloseTo(1 + 20 / (1 + Math.exp(-1)), 5);
  });

  it('follows the cosine curriculum of lambda from 0 to -1 over 10 epochs', () => {
    expect(ctkdLambda(0)).toBeCloseTo(0, 12);
    expect(ctkdLambda(5)).toBeCloseTo(-0.5, 12);
    expect(ctkdLambda(10)).toBe(-1);
    expect(ctkdLambda(240)).toBe(-1);
    expect(ctkdLambda(1)).toBeCloseTo((Math.cos(Math.PI / 10) + 1) / 2 - 1, 12);
    expect(ctkdLambda(3, { cosine: false })).toBeCloseTo(-0.3, 12);
  });

  it('learn(): theta moves by SGD with momentum on lambda * kdWeight * dL/dT * dT/dtheta (+ weight decay)', () => {
    const s = createCtkd();
    const theta0 = s.getState().theta;
    const T0 = Math.fround(ctkdTemperature(theta0));
    const G = (() => {
      const { gradient } = kdLossTemperatureGradient(teacher, student, C, T0);
      return gradient.reduce((a, v) => a + v, 0) / B;
    })();
    const sig = 1 / (1 + Math.exp(-theta0));
    const lambda = ctkdLambda(4);
    const g = lambda * 0.9 * G * 20 * sig * (1 - sig) + 5e-4 * theta0;
    const step = s.learn(teacher, student, C, { epoch: 4 });
    expect(step.lossGradient).toBeCloseTo(G, 12);
    expect(step.lambda).toBe(lambda);
    expect(step.parameterGradient).toBeCloseTo(g, 12);
    expect(s.getState().theta).toBeCloseTo(theta0 - 0.05 * g, 12);
    expect(step.nextTemperature).toBeCloseTo(ctkdTemperature(theta0 - 0.05 * g), 12);
    // second step uses momentum: buf = 0.9 * g + g2
    const theta1 = s.getState().theta;
    const step2 = s.learn(teacher, student, C, { epoch: 4, learningRate: 0.01 });
    expect(s.getState().theta).toBeCloseTo(theta1 - 0.01 * (0.9 * g + step2.parameterGradient), 12);
  });

  it('with reversal (lambda < 0) the temperature climbs the KD loss; at epoch 0 only weight decay acts', () => {
    // G = dL/dT: the KD loss at T; reversal makes theta move along +G * dT/dtheta.
    const s = createCtkd({ weightDecay: 0 });
    const step = s.learn(teacher, student, C, { epoch: 10 });
    expect(Math.sign(step.nextTemperature - step.temperature)).toBe(Math.sign(step.lossGradient));
    const s0 = createCtkd();
    const st0 = s0.learn(teacher, student, C, { epoch: 0 });
    expect(st0.lambda).toBe(0);
    expect(st0.parameterGradient).toBeCloseTo(5e-4 * 1, 15);
  });

  it('standardize (ctkd-ls): learns from the KD loss of the z-scored logits, and says so', () => {
    const s = createCtkd({ standardize: true });
    expect(s.standardizes).toBe(true);
    expect(createCtkd().standardizes).toBe(false);
    const T0 = Math.fround(s.current());
    const gz = kdLossTemperatureGradient(teacher, student, C, T0, { standardize: true }).gradient.reduce((a, v) => a + v, 0) / B;
    const graw = kdLossTemperatureGradient(teacher, student, C, T0).gradient.reduce((a, v) => a + v, 0) / B;
    expect(Math.abs(gz - graw)).toBeGreaterThan(1e-3 * Math.abs(graw));
    expect(s.learn(teacher, student, C, { epoch: 4 }).lossGradient).toBeCloseTo(gz, 12);
  });

  it('round-trips its state', () => {
    const a = createCtkd();
    a.learn(teacher, student, C, { epoch: 10 });
    const b = createCtkd();
    b.setState(a.getState());
    expect(b.current()).toBe(a.current());
    expect(() => b.setState({ theta: Number.NaN, momentumBuffer: 0, steps: 0 })).toThrow('"theta" must be a finite number');
  });
});
