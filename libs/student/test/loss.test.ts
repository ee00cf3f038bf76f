import * as tf from '@tensorflow/tfjs';
import { kdLossPerRow, maxLogitTemperature, softmax, zscore } from '@atkd/math';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropyPerRowTf, distillLossTf, kdLossPerRowTf, zscoreTf } from '../src/index.js';
import { normals } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 6;
const C = 10;

function relClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(scale, 1e-12));
}

/** float64 reference of the total loss for one flattened student batch */
function referenceTotal(student: Float64Array, teacher: Float32Array, labels: number[], T: Float64Array, gamma: number, beta: number, standardize: boolean): number {
  const kd = kdLossPerRow(student, teacher, C, { temperature: T, standardize });
  const logq = new Float64Array(C);
  let ce = 0;
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, student[b * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(student[b * C + c] - m);
    for (let c = 0; c < C; c++) logq[c] = student[b * C + c] - m - Math.log(s);
    ce -= logq[labels[b]];
  }
  let kdSum = 0;
  for (let b = 0; b < B; b++) kdSum += kd[b];
  return (gamma * ce + beta * kdSum) / B;
}

describe('zscoreTf', () => {
  it('matches @atkd/math zscore, and a constant row maps to zeros with a finite gradient', () => {
    const x = normals(B * C, 3, 5);
    x.fill(2.5, 0, C); // row 0 constant
    const ref = zscore(x, C);
    const got = tf.tidy(() => zscoreTf(tf.tensor2d(x, [B, C])).dataSync());
    relClose(got, ref, 1e-5);
    for (let c = 0; c < C; c++) expect(got[c]).toBe(0);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(zscoreTf(t as tf.Tensor2D), tf.range(0, B * C).reshape([B, C]))))(tf.tensor2d(x, [B, C])).dataSync());
    for (let i = 0; i < g.length; i++) expect(Number.isFinite(g[i])).toBe(true);
  });
});

describe('kdLossPerRowTf agrees with @atkd/math kdLossPerRow', () => {
  const teacher = normals(B * C, 11, 4);
  const student = normals(B * C, 12, 2);
  const T = maxLogitTemperature(teacher, C);

  it.each([true, false])('standardize = %s, targets from teacher logits', (standardize) => {
    const Tused = standardize ? T : Float64Array.from({ length: B }, (_, i) => 1 + i);
    const ref = kdLossPerRow(student, teacher, C, { temperature: Tused, standardize });
    const got = tf.tidy(() =>
      kdLossPerRowTf(tf.tensor2d(student, [B, C]), { teacherLogits: tf.tensor2d(teacher, [B, C]) }, tf.tensor1d(Float32Array.from(Tused)), { standardize }).dataSync(),
    );
    relClose(got, ref, 1e-4);
    expect(Math.min(...got)).toBeGreaterThan(0);
  });

  it('with given soft targets equal to softmax(z_t / T)', () => {
    const p = softmax(zscore(teacher, C), C, T);
    const ref = kdLossPerRow(student, teacher, C, { temperature: T, standardize: true });
    const got = tf.tidy(() =>
      kdLossPerRowTf(tf.tensor2d(student, [B, C]), { softTargets: tf.tensor2d(Float32Array.from(p), [B, C]) }, tf.tensor1d(Float32Array.from(T))).dataSync(),
    );
    relClose(got, ref, 1e-4);
  });

  it('is zero when the student equals the teacher', () => {
    const got = tf.tidy(() => kdLossPerRowTf(tf.tensor2d(teacher, [B, C]), { teacherLogits: tf.tensor2d(teacher, [B, C]) }, tf.tensor1d(Float32Array.from(T))).dataSync());
    for (const v of got) expect(Math.abs(v)).toBeLessThan(1e-5);
  });
});

describe('gradient of gamma*CE + beta*T^2*KL w.r.t. the student logits', () => {
  const teacher = normals(B * C, 21, 3);
  const student = Float64Array.from(normals(B * C, 22, 1.5));
  const labels = [0, 3, 9, 1, 1, 7];
  const gamma = 0.1;
  const beta = 9;

  it.each([true, false])('matches central finite differences of the float64 reference (standardize = %s)', (standardize) => {
    const T = standardize ? maxLogitTemperature(teacher, C) : Float64Array.from({ length: B }, (_, i) => 2 + i / 2);
    const grad = tf.tidy(() => {
      const f = (s: tf.Tensor) =>
        distillLossTf(s as tf.Tensor2D, tf.tensor1d(labels, 'int32'), { teacherLogits: tf.tensor2d(teacher, [B, C]) }, tf.tensor1d(Float32Array.from(T)), {
          gamma, beta, standardize,
        }).total;
      return tf.grad(f)(tf.tensor2d(Float32Array.from(student), [B, C])).dataSync();
    });
    const h = 1e-5;
    const numeric = new Float64Array(B * C);
    const Tf = Float64Array.from(Float32Array.from(T));
    for (let i = 0; i < B * C; i++) {
      const plus = Float64Array.from(student);
      const minus = Float64Array.from(student);
      plus[i] += h;
      minus[i] -= h;
      numeric[i] = (referenceTotal(plus, teacher, labels, Tf, gamma, beta, standardize) - referenceTotal(minus, teacher, labels, Tf, gamma, beta, standardize)) / (2 * h);
    }
    relClose(grad, numeric, 2e-3);
    // and the gradient is not trivially small
    expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('the loss parts agree with the reference and CE uses the raw logits', () => {
    const T = maxLogitTemperature(teacher, C);
    const parts = tf.tidy(() => {
      const l = distillLossTf(tf.tensor2d(Float32Array.from(student), [B, C]), tf.tensor1d(labels, 'int32'), { teacherLogits: tf.tensor2d(teacher, [B, C]) }, tf.tensor1d(Float32Array.from(T)));
      return [l.ce.dataSync()[0], l.kd.dataSync()[0], l.total.dataSync()[0]];
    });
    const Tf = Float64Array.from(Float32Array.from(T));
    const kdRef = kdLossPerRow(student, teacher, C, { temperature: Tf }).reduce((a, b) => a + b, 0) / B;
    const ceRef = tf.tidy(() => crossEntropyPerRowTf(tf.tensor2d(Float32Array.from(student), [B, C]), tf.tensor1d(labels)).mean().dataSync()[0]);
    expect(parts[1]).toBeCloseTo(kdRef, 4);
    expect(parts[0]).toBeCloseTo(ceRef, 5);
    expect(parts[2]).toBeCloseTo(0.1 * ceRef + 9 * kdRef, 3);
    expect(parts[2]).toBeCloseTo(referenceTotal(student, teacher, labels, Tf, 0.1, 9, true), 3);
  });
});
