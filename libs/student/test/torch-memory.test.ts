// 1,000 KD steps (StudentTrainer: adaptive temperature, gamma CE + beta T^2 KL, SGD with momentum and
// weight decay) on the torch engine: the live tensors stay flat, counted by tf.memory() and by the
// addon's own count of native tensors; the step uses no cpu fallback; evaluation too.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fallbackKernelsUsed, nativeTensorCount, resetFallbackKernelsUsed, torchUnavailable } from '@atkd/backend-torch';
import { StudentTrainer, evaluateBatch } from '../src/index.js';
import { distillBatch } from './helpers.js';

const C = 10;

function convModel(classes: number): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe.skipIf(torchUnavailable() !== null)('KD steps on the torch engine', () => {
  it('1,000 steps keep tf.memory() and the native tensor count flat, on ATen kernels only', async () => {
    expect(await tf.setBackend('torch')).toBe(true);
    resetFallbackKernelsUsed();
    const model = convModel(C);
    const trainer = new StudentTrainer(model, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    const batches = [distillBatch({ rows: 8, classes: C, seed: 3 }), distillBatch({ rows: 8, classes: C, seed: 4, strategy: 'adaptive-paired' })];
    // warm-up: the optimizer's momentum buffers are created on the first step
    trainer.step(batches[0]);
    trainer.step(batches[1]);
    const tensors = tf.memory().numTensors;
    const native = nativeTensorCount();
    let first = 0, last = 0;
    for (let i = 0; i < 1000; i++) {
      const m = trainer.step(batches[i % 2]);
      if (i === 0) first = m.loss.total;
      last = m.loss.total;
      if (i % 250 === 0) {
        expect(tf.memory().numTensors).toBe(tensors);
        expect(nativeTensorCount()).toBe(native);
      }
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(nativeTensorCount()).toBe(native);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first);
    const counts = evaluateBatch(model, batches[0]);
    expect(counts.count).toBe(8);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(nativeTensorCount()).toBe(native);
    expect(fallbackKernelsUsed()).toEqual([]);
    model.dispose();
  }, 300_000);
});
