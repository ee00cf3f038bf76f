import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphStats, loadTorchCheckpoint } from '../src/index.js';
import { FIXTURES, cpuBackend, fixtureGraph, graphOf, parityManifest, readF32, useBackend } from './helpers.js';

const manifest = parityManifest();
const dir = join(FIXTURES, 'parity');

const backend = process.env.ATKD_MODELS_BACKEND ?? 'cpu';

describe(`PyTorch parity on the ${backend} backend (eval-mode logits, random weights and BN statistics)`, () => {
  beforeAll(async () => {
    if (backend === 'cpu') await cpuBackend();
    else await useBackend(backend);
    expect(tf.getBackend()).toBe(backend);
  });

  it('covers every family', () => {
    const families = manifest.fixtures.map((f) => (f.family === 'zoo' ? (f.config as { name: string }).name : f.family));
    expect(families).toEqual(expect.arrayContaining(['resnet8', 'cifarResNet', 'wrn_16_1', 'vgg', 'mobileNetV2', 'shuffleNetV1', 'shuffleNetV2']));
  });

  for (const f of manifest.fixtures) {
    it(`${f.id} (${f.wrapper} state dict) matches PyTorch within 1e-4`, async () => {
      // The fixture's parameter count (from PyTorch) equals the graph's.
      expect(graphStats(graphOf(f)).params).toBe(f.params);
      const before = tf.memory().numTensors;
      const model = await loadTorchCheckpoint(join(dir, `${f.id}.pth`), fixtureGraph(f), { classes: f.classes });
      const expected = readF32(join(dir, `${f.id}.logits.bin`));
      const input = tf.tensor4d(readF32(join(dir, 'input.bin')), manifest.inputShape as [number, number, number, number]);
      const out = model.predict(input) as tf.Tensor;
      expect(out.shape).toEqual([f.batch, f.classes]);
      const got = out.dataSync();
      let maxDiff = 0;
      for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
      tf.dispose([input, out]);
      model.dispose();
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
