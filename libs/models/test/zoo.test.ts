import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, createModel, graphStats, listModels, modelGraph, torchStateSpec } from '../src/index.js';
import { FIXTURES, cpuBackend } from './helpers.js';

interface TorchArch {
  params: number;
  trainable: number;
  bnBuffers: number;
  bnLayers: number;
  macs: number;
  stateDict: [string, number[]][];
}
const torch = JSON.parse(readFileSync(join(FIXTURES, 'torch-arch.json'), 'utf8')) as { classes: number; models: Record<string, TorchArch> };

describe('model zoo registry vs the PyTorch definitions (tools/models-torch-arch.py)', () => {
  it('lists every model of the PyTorch zoo and nothing else', () => {
    expect([...MODEL_NAMES].sort()).toEqual(Object.keys(torch.models).sort());
    expect(MODEL_NAMES).toEqual(expect.arrayContaining([
      'resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'resnet8x4', 'resnet32x4',
      'wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'wrn_40_2', 'vgg8', 'vgg11', 'vgg13', 'vgg16', 'vgg19',
      'MobileNetV2', 'ShuffleV1', 'ShuffleV2', 'ResNet50',
    ]));
  });

  const table = listModels({ classes: torch.classes });
  it.each(table.map((m) => [m.name, m] as const))('%s: parameters, BN buffers and MACs equal PyTorch', (name, info) => {
    const t = torch.models[name];
    expect(info.params).toBe(t.params);
    expect(info.params).toBe(t.trainable);
    expect(info.bnBuffers).toBe(t.bnBuffers);
    expect(info.macs).toBe(t.macs);
    expect(graphStats(modelGraph(name, { classes: torch.classes })).bnLayers).toBe(t.bnLayers);
  });

  it.each(MODEL_NAMES.map((n) => [n]))('%s: state-dict keys and shapes equal PyTorch, in module order', (name) => {
    const spec = torchStateSpec(modelGraph(name, { classes: torch.classes })).map((s) => [s.key, [...s.shape]]);
    expect(spec).toEqual(torch.models[name].stateDict);
  });

  it('classes changes only the classifier', () => {
    const a = listModels({ classes: 100 }).find((m) => m.name === 'resnet8')!;
    const b = listModels({ classes: 10 }).find((m) => m.name === 'resnet8')!;
    expect(a.params - b.params).toBe(90 * 64 + 90);
    expect(a.macs - b.macs).toBe(90 * 64);
  });

  it('rejects unknown names and bad class counts', () => {
    expect(() => createModel('resnet9')).toThrow(/unknown model 'resnet9'.*resnet8/);
    expect(() => modelGraph('resnet8', { classes: 0 })).toThrow(/classes must be a positive integer/);
    expect(() => listModels({ classes: 2.5 })).toThrow(/classes/);
  });
});

describe('TF.js models', () => {
  beforeAll(cpuBackend);

  it.each(MODEL_NAMES.map((n) => [n]))('%s builds with PyTorch layer names and parameter count', (name) => {
    const before = tf.memory().numTensors;
    const model = createModel(name);
    try {
      const t = torch.models[name];
      expect(model.inputs[0].shape).toEqual([null, 32, 32, 3]);
      expect(model.outputs[0].shape).toEqual([null, 100]);
      // countParams = trainable + BN moving mean/variance (PyTorch buffers)
      expect(model.countParams()).toBe(t.params + t.bnBuffers);
      const trainable = model.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
      expect(trainable).toBe(t.params);
      const prefixes = new Set(t.stateDict.map(([k]) => k.slice(0, k.lastIndexOf('.'))));
      for (const p of prefixes) expect(model.getLayer(p).countParams()).toBeGreaterThan(0);
      for (const layer of model.layers) {
        if (layer.getClassName() === 'BatchNormalization') {
          const cfg = layer.getConfig();
          expect(cfg.epsilon).toBe(1e-5);
          expect(cfg.momentum).toBeCloseTo(0.9, 12);
        }
      }
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a small model runs forward and keeps no tensors', () => {
    const before = tf.memory().numTensors;
    const model = createModel('resnet8', { classes: 10 });
    const y = tf.tidy(() => model.predict(tf.randomNormal([3, 32, 32, 3])) as tf.Tensor);
    expect(y.shape).toEqual([3, 10]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
