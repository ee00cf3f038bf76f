// The zoo's BatchNormalization layer in training: fused on torch (AtkdBatchNormTrain, one kernel
// forward and one back) against TF.js's composition on cpu, from the same weights and batch: the
// output, the moving mean and variance after the step, and the gradients of x, gamma and beta
// agree within 1e-4 with cpu and with a float64 reference (see `reference` for the scale); on cpu
// the layer is TF.js's own, bit for bit.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchUnavailable } from '@atkd/backend-torch';
import { BATCH_NORM_TRAIN_KERNEL, batchNormalization, fusedBatchNormActive } from '../src/index.js';
import { relErr } from '../../backend/test/helpers.js';

const why = torchUnavailable();
const TOL = 1e-4;

/** Deterministic values (xorshift) in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return lo + (s / 4294967296) * (hi - lo);
  });
}

interface Case { shape: number[]; seed: number; momentum: number; epsilon: number; shift: number }
interface StepResult { y: Float32Array; dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array; movingMean: Float32Array; movingVariance: Float32Array }

/** One training step of a fresh layer with the case's weights on `backend`: y, gradients, moving stats after it. */
function step(c: Case, backend: string, make = batchNormalization): StepResult {
  tf.setBackend(backend);
  const channels = c.shape[c.shape.length - 1];
  const n = c.shape.reduce((a, b) => a * b, 1);
  const layer = make({ axis: -1, momentum: c.momentum, epsilon: c.epsilon });
  layer.build(c.shape);
  tf.tidy(() => layer.setWeights([
    tf.tensor1d(values(channels, c.seed + 1, 0.5, 2)),
    tf.tensor1d(values(channels, c.seed + 2)),
    tf.tensor1d(values(channels, c.seed + 3)),
    tf.tensor1d(values(channels, c.seed + 4, 0.5, 3)),
  ]));
  // a shift makes the batch mean large against the spread (the ill-conditioned case for float32)
  const x = tf.tidy(() => tf.add(tf.tensor(values(n, c.seed + 5, -2, 2), c.shape), c.shift));
  const w = tf.tensor(values(n, c.seed + 6), c.shape);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | null = null;
  const f = (xx: tf.Tensor, _g: tf.Tensor, _b: tf.Tensor): tf.Scalar => {
    y = tf.keep(layer.apply(xx, { training: true }) as tf.Tensor);
    return tf.sum(tf.mul(y, w));
  };
  const [dx, dgamma, dbeta] = tf.grads(f)([x, gamma, beta]);
  const moving = layer.getWeights().slice(2);
  const out: StepResult = {
    y: y!.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dgamma: dgamma.dataSync() as Float32Array,
    dbeta: dbeta.dataSync() as Float32Array, movingMean: moving[0].dataSync() as Float32Array, movingVariance: moving[1].dataSync() as Float32Array,
  };
  tf.dispose([x, w, y!, dx, dgamma, dbeta]);
  for (const v of layer.weights) v.dispose();
  return out;
}

/**
 * The float64 reference of one step, and the scale each output's error is measured against: its
 * largest entry, except dx, whose terms (of size |gamma * invstd * dy|) cancel almost exactly when a
 * channel has very few values (at N = 2 the normalised values are +-1 whatever x is, so dx is ~0 and
 * only float32 noise remains: the case the zoo's 1x1 and 2x2 maps at batch 2 hit).
 */
function reference(c: Case): { ref: Record<keyof StepResult, Float64Array>; scale: Record<keyof StepResult, number> } {
  const C = c.shape[c.shape.length - 1];
  const n = c.shape.reduce((a, b) => a * b, 1);
  const N = n / C;
  const f64 = (v: Float32Array) => Float64Array.from(v);
  const gamma = f64(values(C, c.seed + 1, 0.5, 2)), beta = f64(values(C, c.seed + 2));
  const m0 = f64(values(C, c.seed + 3)), v0 = f64(values(C, c.seed + 4, 0.5, 3));
  const x = f64(values(n, c.seed + 5, -2, 2)).map((v) => v + c.shift), dy = f64(values(n, c.seed + 6));
  const mean = new Float64Array(C), variance = new Float64Array(C), dbeta = new Float64Array(C), dgamma = new Float64Array(C);
  for (let i = 0; i < n; i++) mean[i % C] += x[i] / N;
  for (let i = 0; i < n; i++) variance[i % C] += (x[i] - mean[i % C]) ** 2 / N;
  const invstd = variance.map((v) => 1 / Math.sqrt(v + c.epsilon));
  const xhat = x.map((v, i) => (v - mean[i % C]) * invstd[i % C]);
  for (let i = 0; i < n; i++) { dbeta[i % C] += dy[i]; dgamma[i % C] += dy[i] * xhat[i]; }
  const y = xhat.map((v, i) => gamma[i % C] * v + beta[i % C]);
  const dx = dy.map((d, i) => (gamma[i % C] * invstd[i % C] / N) * (N * d - dbeta[i % C] - xhat[i] * dgamma[i % C]));
  const decay = 1 - c.momentum;
  const ref = {
    y, dx, dgamma, dbeta,
    movingMean: m0.map((v, k) => v - (v - mean[k]) * decay), movingVariance: v0.map((v, k) => v - (v - variance[k]) * decay),
  };
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let terms = 0;
  for (let i = 0; i < n; i++) terms = Math.max(terms, Math.abs(gamma[i % C] * invstd[i % C] * dy[i]));
  const scale = Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, maxAbs(v)])) as Record<keyof StepResult, number>;
  scale.dx = Math.max(scale.dx, terms);
  return { ref, scale };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const caseArb = fc.record({
  shape: fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }))
      .filter(([n, h, w]) => n * h * w > 1).map((s) => [...s]),
    fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 7 })).map((s) => [...s]),
  ),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  momentum: fc.constantFrom(0.9, 0.99, 0.5),
  epsilon: fc.constantFrom(1e-5, 1e-3),
  shift: fc.constantFrom(0, 3),
});

describe.skipIf(why !== null)('BatchNormalization in training: fused on torch vs TF.js on cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('torch');
  });
  afterAll(() => tf.setBackend('torch'));

  it('the kernel is active on torch, not on cpu, and ATKD_FUSED_BN=0 turns it off', () => {
    tf.setBackend('torch');
    expect(fusedBatchNormActive()).toBe(true);
    process.env['ATKD_FUSED_BN'] = '0';
    try {
      expect(fusedBatchNormActive()).toBe(false);
    } finally {
      delete process.env['ATKD_FUSED_BN'];
    }
    tf.setBackend('cpu');
    expect(fusedBatchNormActive()).toBe(false);
    tf.setBackend('torch');
  });

  it('a training step runs one kernel forward (no moments), and the composition with ATKD_FUSED_BN=0', async () => {
    tf.setBackend('torch');
    const layer = batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
    const x = tf.ones([2, 3, 3, 4]);
    const kernels = async () => (await tf.profile(() => layer.apply(x, { training: true }) as tf.Tensor)).kernelNames;
    const fused = await kernels();
    expect(fused).toContain(BATCH_NORM_TRAIN_KERNEL);
    expect(fused).not.toContain('Mean');
    expect(fused).not.toContain('FusedBatchNorm');
    process.env['ATKD_FUSED_BN'] = '0';
    try {
      const composed = await kernels();
      expect(composed).not.toContain(BATCH_NORM_TRAIN_KERNEL);
      expect(composed).toContain('FusedBatchNorm');
    } finally {
      delete process.env['ATKD_FUSED_BN'];
    }
    tf.dispose(x);
    for (const v of layer.weights) v.dispose();
  });

  it('output, moving mean/variance and the gradients of x, gamma, beta agree (property, 1e-4)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const before = tf.memory().numTensors;
      const torch = step(c, 'torch');
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
      const cpu = step(c, 'cpu');
      const { ref, scale } = reference(c);
      for (const k of Object.keys(cpu) as (keyof StepResult)[]) {
        expect(maxDiff(torch[k], cpu[k]) / scale[k], `${JSON.stringify(c)} ${k}: torch vs cpu`).toBeLessThanOrEqual(TOL);
        expect(maxDiff(torch[k], ref[k]) / scale[k], `${JSON.stringify(c)} ${k}: torch vs float64`).toBeLessThanOrEqual(TOL);
      }
    }), { numRuns: 40, seed: 12 });
  });

  it('gradients that reach the batch mean and variance themselves are added (kernel vs tf.moments + batchNorm)', () => {
    const shape = [3, 2, 2, 5];
    const run = (backend: string, fused: boolean) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(values(60, 7, -2, 2), shape);
        const gamma = tf.tensor1d(values(5, 8, 0.5, 2));
        const beta = tf.tensor1d(values(5, 9));
        const a = tf.tensor1d(values(5, 10));
        const b = tf.tensor1d(values(5, 11));
        const w = tf.tensor(values(60, 12), shape);
        const f = (xx: tf.Tensor, g: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
          let y: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor;
          if (fused) {
            [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x: xx, scale: g, offset: bb }, { varianceEpsilon: 1e-5 }) as tf.Tensor[];
          } else {
            ({ mean, variance } = tf.moments(xx, [0, 1, 2]));
            y = tf.batchNorm(xx, mean, variance, bb, g, 1e-5);
          }
          return tf.addN([tf.sum(tf.mul(y, w)), tf.sum(tf.mul(mean, a)), tf.sum(tf.mul(variance, b))]) as tf.Scalar;
        };
        return tf.grads(f)([x, gamma, beta]).map((t) => t.dataSync() as Float32Array);
      });
    };
    const torch = run('torch', true);
    const cpu = run('cpu', false);
    for (let i = 0; i < cpu.length; i++) expect(relErr(torch[i], cpu[i]), `gradient ${i}`).toBeLessThanOrEqual(TOL);
  });

  it('on cpu the layer is TF.js\'s own: identical output, moving statistics and gradients', () => {
    const c: Case = { shape: [2, 3, 3, 4], seed: 5, momentum: 0.9, epsilon: 1e-5, shift: 3 };
    const ours = step(c, 'cpu');
    const stock = step(c, 'cpu', (args) => tf.layers.batchNormalization(args));
    for (const k of Object.keys(stock) as (keyof StepResult)[]) expect(Array.from(ours[k]), k).toEqual(Array.from(stock[k]));
    tf.setBackend('torch');
  });
});
