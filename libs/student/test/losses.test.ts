// The distillation-loss registry (kd, dkd, mlkd): each TF.js loss against its float64 reference in
// @atkd/math, with every kind of temperature and with or without z-scores; gradients finite; no tensor left.
import * as tf from '@tensorflow/tfjs';
import { dkdLossPerRow, kdLoss, maxLogitTemperature, mlkdLoss } from '@atkd/math';
import { beforeAll, describe, expect, it } from 'vitest';
import { dkdWarmup, getLoss, getLossDefinition, listLosses, lossNames, type LossInputs } from '../src/index.js';
import { normals } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 8;
const C = 12;
const teacher = normals(B * C, 21, 4);
const student = Float32Array.from(normals(B * C, 22, 2), (v, i) => 0.6 * teacher[i] + v);
const teacherS = Float32Array.from(normals(B * C, 23, 2), (v, i) => teacher[i] + v);
const studentS = Float32Array.from(normals(B * C, 24, 2), (v, i) => 0.5 * teacherS[i] + v);
const labels = Array.from({ length: B }, (_, b) => (b * 5) % C);

/** Temperature kinds: fixed, per row (paired adaptive on z-scores), per row teacher-only on raw logits. */
const KINDS: Array<{ name: string; standardize: boolean; T: (t: Float32Array, s: Float32Array) => Float64Array }> = [
  { name: 'fixed 4, raw', standardize: false, T: () => new Float64Array(B).fill(4) },
  { name: 'fixed 2, z-scored', standardize: true, T: () => new Float64Array(B).fill(2) },
  { name: 'adaptive (paired), z-scored', standardize: true, T: (t, s) => maxLogitTemperature(t, C, { student: s }) },
  { name: 'adaptive-teacher, raw', standardize: false, T: (t) => maxLogitTemperature(t, C, { standardize: false }) },
];

function close(a: number, b: number, rel: number, what: string): void {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.max(Math.abs(b), 1e-6));
}

function inputs(kind: (typeof KINDS)[number], epoch = 30): LossInputs {
  const T = Float32Array.from(kind.T(teacher, student));
  return {
    student: tf.tensor2d(student, [B, C]),
    teacher: tf.tensor2d(teacher, [B, C]),
    labels: tf.tensor1d(labels, 'int32'),
    temperature: tf.tensor1d(T),
    standardize: kind.standardize,
    eps: 1e-7,
    epoch,
    strong: { student: tf.tensor2d(studentS, [B, C]), teacher: tf.tensor2d(teacherS, [B, C]), temperature: tf.tensor1d(Float32Array.from(kind.T(teacherS, studentS))) },
  };
}

function disposeInputs(x: LossInputs): void {
  tf.dispose([x.student, x.teacher, x.labels, x.temperature, x.strong!.student, x.strong!.teacher, x.strong!.temperature]);
}

/** Mean CE of raw logits, float64. */
function ceRef(s: Float32Array): number {
  let ce = 0;
  for (let b = 0; b < B; b++) {
    const row = Array.from(s.subarray(b * C, (b + 1) * C));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    ce += lse - row[labels[b]];
  }
  return ce / B;
}

describe('loss registry', () => {
  it('lists kd, dkd, mlkd; rejects unknown names and bad options naming them', () => {
    expect(lossNames()).toEqual(['kd', 'dkd', 'mlkd']);
    expect(listLosses().map((l) => [l.name, l.needsStrongView])).toEqual([['kd', false], ['dkd', false], ['mlkd', true]]);
    expect(() => getLoss('crd')).toThrow('unknown distillation loss "crd" (known: kd, dkd, mlkd)');
    expect(() => getLoss('dkd', { gamma: 1 })).toThrow('loss "dkd" has no option "gamma" (options: alpha, beta, warmup)');
    expect(() => getLoss('dkd', { beta: -1 })).toThrow('loss "dkd": option "beta" must be >= 0');
    expect(getLoss('dkd', { beta: '6' }).options).toEqual({ alpha: 1, beta: 6, warmup: 20 });
    expect(getLossDefinition('mlkd').description).toMatch(/MLKD/);
  });
});

describe('each loss = its @atkd/math reference (float32 vs float64, 1e-4)', () => {
  for (const kind of KINDS) {
    it(`kd, dkd, mlkd with ${kind.name}`, () => {
      const before = tf.memory().numTensors;
      const x = inputs(kind);
      const T = kind.T(teacher, student);
      const weights = { gamma: 0.5, beta: 3 };
      // kd
      const kdParts = getLoss('kd').compute(x, weights);
      close(kdParts.ce.dataSync()[0], ceRef(student), 1e-4, 'kd ce');
      const kdRef = kdLoss(student, teacher, C, { temperature: T, standardize: kind.standardize });
      close(kdParts.kd.dataSync()[0], kdRef, 1e-4, 'kd kd');
      close(kdParts.total.dataSync()[0], 0.5 * ceRef(student) + 3 * kdRef, 1e-4, 'kd total');
      // dkd (epoch 30: past the warm-up)
      const dkd = getLoss('dkd', { alpha: 1.5, beta: 6 });
      const d = dkd.compute(x, weights);
      const tckd = new Float64Array(B);
      const nckd = new Float64Array(B);
      const per = dkdLossPerRow(student, teacher, labels, C, { alpha: 1.5, beta: 6, temperature: T, standardize: kind.standardize, tckdOut: tckd, nckdOut: nckd });
      const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
      close(d.terms.tckd.dataSync()[0], mean(tckd), 1e-4, 'dkd tckd');
      close(d.terms.nckd.dataSync()[0], mean(nckd), 1e-4, 'dkd nckd');
      close(d.kd.dataSync()[0], mean(per), 1e-4, 'dkd kd');
      expect(d.terms.warmup.dataSync()[0]).toBe(1);
      // mlkd
      const m = getLoss('mlkd').compute(x, weights);
      const ref = mlkdRef(kind);
      for (const k of ['kdWeak', 'kdStrong', 'cc', 'bc'] as const) close(m.terms[k].dataSync()[0], ref[k], 2e-4, `mlkd ${k}`);
      close(m.kd.dataSync()[0], ref.total, 1e-4, 'mlkd kd');
      close(m.ce.dataSync()[0], ceRef(student) + ceRef(studentS), 1e-4, 'mlkd ce (both views)');
      tf.dispose([kdParts, d, m].flatMap((p) => [p.ce, p.kd, p.total, ...Object.values(p.terms)]));
      disposeInputs(x);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

/** @atkd/math's mlkdLoss with the per-row temperatures of the kind (T0 of each view as given). */
function mlkdRef(kind: (typeof KINDS)[number]) {
  // mlkdLoss takes a number or an adaptive name for T0; per-row T0 is built from the parts instead
  const Tw = kind.T(teacher, student);
  if (kind.name.startsWith('fixed')) return mlkdLoss({ student, teacher }, { student: studentS, teacher: teacherS }, C, { temperature: Tw[0], standardize: kind.standardize });
  if (kind.name.startsWith('adaptive (paired)')) return mlkdLoss({ student, teacher }, { student: studentS, teacher: teacherS }, C, { temperature: 'adaptive', standardize: true });
  // teacher-only on raw logits: mlkdLoss('adaptive-teacher', standardize false) takes max |raw teacher|, as kind.T does
  return mlkdLoss({ student, teacher }, { student: studentS, teacher: teacherS }, C, { temperature: 'adaptive-teacher', standardize: false });
}

describe('dkd: warm-up and gradients', () => {
  it('the KD part grows linearly over the warm-up epochs (1-based as in the code) and the gradient is finite', () => {
    expect(dkdWarmup(0, 20)).toBeCloseTo(1 / 20, 15);
    expect(dkdWarmup(9, 20)).toBeCloseTo(0.5, 15);
    expect(dkdWarmup(19, 20)).toBe(1);
    expect(dkdWarmup(100, 20)).toBe(1);
    expect(dkdWarmup(0, 0)).toBe(1);
    const kind = KINDS[2];
    const full = inputs(kind, 40);
    const early = inputs(kind, 4);
    const dkd = getLoss('dkd');
    const a = tf.tidy(() => dkd.compute(full, { gamma: 0, beta: 1 }).kd.dataSync()[0]);
    const b = tf.tidy(() => dkd.compute(early, { gamma: 0, beta: 1 }).kd.dataSync()[0]);
    close(b, a * (5 / 20), 1e-6, 'warm-up at epoch 4');
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad((s: tf.Tensor) => dkd.compute({ ...full, student: s as tf.Tensor2D }, { gamma: 1, beta: 1 }).total)(full.student).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    expect(g.every((v) => Number.isFinite(v))).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    disposeInputs(full);
    disposeInputs(early);
  });

  it('mlkd without the strong view says what is missing', () => {
    const x = inputs(KINDS[0]);
    expect(() => getLoss('mlkd').compute({ ...x, strong: undefined }, { gamma: 1, beta: 1 })).toThrow(/needs the strong view .*image_strong/);
    disposeInputs(x);
  });

  it('zero when the student equals the teacher (dkd, mlkd kd part), z-scored paired adaptive', () => {
    const T = tf.tensor1d(Float32Array.from(maxLogitTemperature(teacher, C, { student: teacher })));
    const t = tf.tensor2d(teacher, [B, C]);
    const ts = tf.tensor2d(teacherS, [B, C]);
    const TS = tf.tensor1d(Float32Array.from(maxLogitTemperature(teacherS, C, { student: teacherS })));
    const y = tf.tensor1d(labels, 'int32');
    const x: LossInputs = { student: t, teacher: t, labels: y, temperature: T, standardize: true, eps: 1e-7, epoch: 50, strong: { student: ts, teacher: ts, temperature: TS } };
    for (const name of ['dkd', 'mlkd']) {
      const v = tf.tidy(() => getLoss(name).compute(x, { gamma: 0, beta: 1 }).kd.dataSync()[0]);
      expect(Math.abs(v), name).toBeLessThan(1e-5);
    }
    tf.dispose([T, t, ts, TS, y]);
  });
});
