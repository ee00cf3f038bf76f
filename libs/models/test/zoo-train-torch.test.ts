// One training step of zoo models on the torch engine against the cpu backend, from the same
// seeded weights and batch: the loss and every gradient agree within 1e-4 (see gradientErrors for
// the scale), and the step runs on ATen kernels only (no cpu fallback). ATKD_ZOO_BATCH sets the
// batch (2), ATKD_ZOO_REPORT=1 prints each model's three largest errors.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallbackKernelsUsed, resetFallbackKernelsUsed, torchUnavailable } from '@atkd/backend-torch';
import { MODEL_NAMES, createModel, graphToLayersModel } from '../src/index.js';
import { graphOf, parityManifest } from './helpers.js';

const why = torchUnavailable();
const BATCH = Number(process.env['ATKD_ZOO_BATCH'] ?? 2);
/**
 * The full-size models asserted by default (the cpu side takes minutes per model on a shared 2-core
 * machine). ATKD_ZOO_ALL=1 runs every zoo model. resnet32 passes with the seeded weights (largest
 * error 5.2e-5, session 4; 96 s under load) but is left to ATKD_ZOO_ALL for the time it takes; its
 * 6.8e-3 in an earlier CI run came from unseeded weights and the per-tensor scale (see gradientErrors).
 */
const CHECKED = ['resnet8', 'resnet14', 'resnet20'];
const MODELS = process.env['ATKD_ZOO_ALL'] === '1' ? [...MODEL_NAMES] : MODEL_NAMES.filter((n) => CHECKED.includes(n));

/**
 * Replaces the model's randomly initialised weights by seeded draws of the same scale (He normal:
 * std sqrt(2 / fan-in), fan-in the product of all but the last dimension), so every run compares the
 * same weights; rank-1 weights (biases, gammas, betas, moving statistics) keep their constant init.
 */
function seedWeights(model: tf.LayersModel, seed: number): void {
  tf.tidy(() => {
    model.weights.forEach((w, i) => {
      const shape = w.shape as number[];
      if (shape.length < 2) return;
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      w.write(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed + i));
    });
  });
}

function compare(model: tf.LayersModel, classes: number, label: string): void {
  tf.setBackend('torch');
  seedWeights(model, 1000);
  const x = tf.randomUniform([BATCH, 32, 32, 3], -1, 1, 'float32', 7);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i % 2 === 0 ? 3 + i : classes - 3 - i) % classes), 'int32'), classes);
  const before = tf.memory().numTensors;
  const torch = step(model, x, labels);
  expect(tf.memory().numTensors).toBe(before);
  tf.setBackend('cpu');
  const cpu = step(model, x, labels);
  tf.setBackend('torch');
  expect([...torch.keys()].sort()).toEqual([...cpu.keys()].sort());
  const errors = gradientErrors(torch, cpu);
  if (process.env['ATKD_ZOO_REPORT'] === '1') {
    const worst = [...errors].sort((a, b) => b[1].err - a[1].err).slice(0, 3);
    console.log(`ZOO ${label} batch ${BATCH}: ${worst.map(([k, e]) => `${k} ${e.err.toExponential(2)} (plain ${e.plain.toExponential(2)}, |cpu| ${e.size.toExponential(1)})`).join(', ')}`);
  }
  for (const [k, e] of errors) expect(e.err, `${label} ${k}`).toBeLessThanOrEqual(1e-4);
  tf.dispose([x, labels]);
  model.dispose();
}

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

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Gradients smaller than this fraction of the model's largest one are measured against that fraction. */
const FLOOR = 1e-2;

/**
 * The error of each entry (loss, gradients): the largest difference relative to the larger of the
 * cpu tensor's largest entry and FLOOR times the model's largest gradient. Some gradients are zero
 * by construction, and only float32 noise remains (about 1e-8 against gradients of 0.4-70 in
 * the family graphs): a conv bias in front of train-mode batch norm (vgg), the beta of a batch norm
 * whose output reaches the loss only through another batch norm after a 1x1 conv (MobileNetV2,
 * ShuffleNetV2). Relative to their own size the two backends' noise differs by 1-13x (`plain`).
 */
function gradientErrors(torch: Map<string, Float32Array>, cpu: Map<string, Float32Array>): Map<string, { err: number; plain: number; size: number }> {
  const largest = Math.max(...[...cpu].filter(([k]) => k !== 'loss').map(([, g]) => maxAbs(g)));
  const out = new Map<string, { err: number; plain: number; size: number }>();
  for (const [k, g] of cpu) {
    const d = maxDiff(torch.get(k)!, g);
    const size = maxAbs(g);
    const scale = k === 'loss' ? size : Math.max(size, FLOOR * largest);
    out.set(k, { err: scale === 0 ? d : d / scale, plain: size === 0 ? d : d / size, size });
  }
  return out;
}

describe.skipIf(why !== null)('a training step of the zoo models: torch vs cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('torch');
    resetFallbackKernelsUsed();
  });
  afterAll(() => tf.setBackend('torch'));

  it.each(MODELS.map((n) => [n]))('%s', (name) => {
    tf.setBackend('torch');
    compare(createModel(name), 100, name);
  }, 300_000);

  // families of the zoo at reduced width (the PyTorch parity fixtures' graphs), all seven asserted.
  // Two are run with batch-norm eps 0.1 instead of PyTorch's 1e-5: at batch 2 their last stages have
  // 1x1 / 2x2 maps, so a channel's batch norm sees 2-8 values, its normalised values are ~+-1
  // whatever x is, and the gradient through it is the small eps-driven remainder of an almost exact
  // cancellation: float32 noise there is amplified ~1e4-1e5x. Measured (torch vs cpu, wasm vs cpu,
  // torch vs wasm; error relative to max(|g|, 1% of the largest gradient)): shufflev2_0.2 at eps 1e-5
  // 3.1e-2, 3.1e-2, 7.6e-6 (cpu the odd one out); mobilenetv2_T2_w025 3.4e-4, 3.6e-4, 5.1e-4; at eps
  // 0.1 all three agree within 3.2e-5 and 4.7e-5. A wrong depthwise or grouped-conv gradient would not
  // go away with eps.
  const FAMILY_BN_EPSILON: Record<string, number> = { mobilenetv2_T2_w025: 0.1, 'shufflev2_0.2': 0.1 };
  const fixtures = parityManifest().fixtures;
  it.each(fixtures.map((f) => [f.id, f] as const))('family graph %s', (_id, f) => {
    tf.setBackend('torch');
    const model = graphToLayersModel(graphOf(f));
    const eps = FAMILY_BN_EPSILON[f.id];
    if (eps !== undefined) {
      for (const layer of model.layers) if (layer.getClassName() === 'BatchNormalization') (layer as unknown as { epsilon: number }).epsilon = eps;
    }
    compare(model, f.classes, f.id);
  }, 300_000);

  it('ran on ATen kernels only: no kernel fell back on cpu', () => {
    expect(fallbackKernelsUsed()).toEqual([]);
  });
});
