// A real training step of a small network using every layer the CIFAR model zoo needs
// (Conv2D with stride 2 and 1x1 shortcuts, BatchNormalization, ReLU, Add, DepthwiseConv2D,
// average pooling, global average pooling, Dense): wasm gradients must match cpu's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { relErr, rnd } from './helpers.js';

function buildNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const init = { kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) };
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, ...init }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  // residual block with a stride-2 conv and an option-B 1x1 shortcut
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, ...init }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 1, useBias: false,
    depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(dw) as tf.SymbolicTensor;
  let s = tf.layers.conv2d({ filters: 8, kernelSize: 1, strides: 2, useBias: false, ...init }).apply(x) as tf.SymbolicTensor;
  s = tf.layers.batchNormalization().apply(s) as tf.SymbolicTensor;
  let z = tf.layers.add().apply([y, s]) as tf.SymbolicTensor;
  z = tf.layers.reLU().apply(z) as tf.SymbolicTensor;
  z = tf.layers.averagePooling2d({ poolSize: 2 }).apply(z) as tf.SymbolicTensor;
  z = tf.layers.globalAveragePooling2d({}).apply(z) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(z) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function gradients(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor): Map<string, Float32Array> {
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }, model.trainableWeights.map((w) => w.read() as tf.Variable));
  const out = new Map<string, Float32Array>();
  out.set('loss', value.dataSync() as Float32Array);
  for (const [k, g] of Object.entries(grads)) out.set(k, g.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('a CIFAR-style training step on wasm', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: false });
  });

  it('computes the same gradients as cpu, and trains without leaking tensors', () => {
    tf.setBackend('wasm');
    const model = buildNet();
    const x = rnd([4, 8, 8, 3], 7);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 4], 'int32'), 5);
    const wasm = gradients(model, x, labels);
    tf.setBackend('cpu');
    const cpu = gradients(model, x, labels);
    tf.setBackend('wasm');
    expect([...wasm.keys()].sort()).toEqual([...cpu.keys()].sort());
    expect(wasm.size).toBeGreaterThan(10);
    for (const [k, g] of cpu) expect(relErr(wasm.get(k)!, g), k).toBeLessThanOrEqual(1e-4);

    // one optimizer step on wasm moves the loss, with no tensor left behind
    const opt = tf.train.sgd(0.1);
    const loss = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    tf.dispose(opt.minimize(loss, true) ?? []); // creates the optimizer's state once
    const before = tf.memory().numTensors;
    const l0 = tf.tidy(() => loss().dataSync()[0]);
    for (let i = 0; i < 3; i++) tf.dispose(opt.minimize(loss, true) ?? []);
    const l1 = tf.tidy(() => loss().dataSync()[0]);
    expect(tf.memory().numTensors).toBe(before);
    expect(l1).toBeLessThan(l0);
    tf.dispose([x, labels]);
    opt.dispose();
    model.dispose();
  });
});
