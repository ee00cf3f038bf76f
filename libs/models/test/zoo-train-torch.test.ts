// One training step of every zoo model on the torch engine against the cpu backend, from the same
// weights and batch: the loss and every gradient agree within 1e-4 (relative to the largest
// entry), and the step runs on ATen kernels only (no cpu fallback).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallbackKernelsUsed, resetFallbackKernelsUsed, torchUnavailable } from '@atkd/backend-torch';
import { MODEL_NAMES, createModel } from '../src/index.js';

const why = torchUnavailable();
const BATCH = 2;

function step(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor): Map<string, Float32Array> {
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }, model.trainableWeights.map((w) => w.read() as tf.Variable));
  const out = new Map<string, Float32Array>([['loss', value.dataSync() as Float32Array]]);
  for (const [k, g] of Object.entries(grads)) out.set(k, g.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

describe.skipIf(why !== null)('a training step of every zoo model: torch vs cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('torch');
    resetFallbackKernelsUsed();
  });
  afterAll(() => tf.setBackend('torch'));

  it.each(MODEL_NAMES.map((n) => [n]))('%s', (name) => {
    tf.setBackend('torch');
    const model = createModel(name);
    const x = tf.randomUniform([BATCH, 32, 32, 3], -1, 1, 'float32', 7);
    const labels = tf.oneHot(tf.tensor1d([3, 97], 'int32'), 100);
    const before = tf.memory().numTensors;
    const torch = step(model, x, labels);
    expect(tf.memory().numTensors).toBe(before);
    tf.setBackend('cpu');
    const cpu = step(model, x, labels);
    tf.setBackend('torch');
    expect([...torch.keys()].sort()).toEqual([...cpu.keys()].sort());
    for (const [k, g] of cpu) expect(relErr(torch.get(k)!, g), `${name} ${k}`).toBeLessThanOrEqual(1e-4);
    tf.dispose([x, labels]);
    model.dispose();
  }, 300_000);

  it('ran on ATen kernels only: no kernel fell back on cpu', () => {
    expect(fallbackKernelsUsed()).toEqual([]);
  });
});
