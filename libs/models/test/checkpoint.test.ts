import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointMismatchError, checkTorchStateDict, depthwiseToHwc1, loadTorchCheckpoint, modelFromTorchStateDict, modelGraph,
  oihwToHwio, torchStateSpec, transpose2d, type StateDictTensor,
} from '../src/index.js';
import { FIXTURES, cpuBackend } from './helpers.js';

/** A synthetic PyTorch state dict for a graph: distinct pseudo-random values per tensor. */
function fakeStateDict(name: string, classes: number, seed = 1): Map<string, StateDictTensor> {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const m = new Map<string, StateDictTensor>();
  for (const t of torchStateSpec(modelGraph(name, { classes }))) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => (t.key.endsWith('running_var') ? 0.5 + Math.abs(rnd()) : rnd()));
    m.set(t.key, { shape: [...t.shape], dtype: 'float32', data });
    if (t.key.endsWith('.running_var')) {
      m.set(t.key.replace('running_var', 'num_batches_tracked'), { shape: [], dtype: 'int64', data: BigInt64Array.from([7n]) });
    }
  }
  return m;
}

function mismatch(fn: () => unknown): CheckpointMismatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointMismatchError);
    return e as CheckpointMismatchError;
  }
  throw new Error('expected a CheckpointMismatchError');
}

describe('layout conversions', () => {
  it('OIHW -> HWIO', () => {
    const [o, i, h, w] = [3, 2, 2, 4];
    const src = Float32Array.from({ length: o * i * h * w }, (_, k) => k);
    const out = oihwToHwio(src, o, i, h, w);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let c = 0; c < h; c++) for (let d = 0; d < w; d++) {
      expect(out[((c * w + d) * i + b) * o + a]).toBe(src[((a * i + b) * h + c) * w + d]);
    }
  });
  it('depthwise (C,1,H,W) -> (H,W,C,1) and linear transpose', () => {
    const src = Float32Array.from({ length: 2 * 3 * 3 }, (_, k) => k);
    const dw = depthwiseToHwc1(src, 2, 3, 3);
    expect(dw[(1 * 3 + 2) * 2 + 1]).toBe(src[(1 * 3 + 1) * 3 + 2]);
    expect(Array.from(transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('checkpoint mapping', () => {
  beforeAll(cpuBackend);

  it('puts every tensor in its layer, converted to TF.js layout', () => {
    const before = tf.memory().numTensors;
    const dict = fakeStateDict('resnet8', 10);
    const model = modelFromTorchStateDict('resnet8', dict);
    expect(model.outputs[0].shape).toEqual([null, 10]); // classes taken from fc.weight
    const conv = model.getLayer('layer2.0.conv1').getWeights()[0];
    expect(conv.shape).toEqual([3, 3, 16, 32]);
    const k = conv.arraySync() as number[][][][];
    const src = dict.get('layer2.0.conv1.weight')!.data as Float32Array;
    expect(k[2][1][5][7]).toBe(src[((7 * 16 + 5) * 3 + 2) * 3 + 1]);
    const bn = model.getLayer('layer3.0.downsample.1').getWeights();
    const names = ['weight', 'bias', 'running_mean', 'running_var'];
    bn.forEach((w, j) => expect(Array.from(w.dataSync())).toEqual(Array.from(dict.get(`layer3.0.downsample.1.${names[j]}`)!.data as Float32Array)));
    const [fcK, fcB] = model.getLayer('fc').getWeights();
    expect(fcK.shape).toEqual([64, 10]);
    expect((fcK.arraySync() as number[][])[5][3]).toBe((dict.get('fc.weight')!.data as Float32Array)[3 * 64 + 5]);
    expect(Array.from(fcB.dataSync())).toEqual(Array.from(dict.get('fc.bias')!.data as Float32Array));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maps depthwise and grouped convolutions (ShuffleV1)', () => {
    const dict = fakeStateDict('ShuffleV1', 100);
    const model = modelFromTorchStateDict('ShuffleV1', dict);
    const dw = model.getLayer('layer2.1.conv2').getWeights()[0];
    expect(dw.shape).toEqual([3, 3, 120, 1]);
    const src = dict.get('layer2.1.conv2.weight')!.data as Float32Array; // (120, 1, 3, 3)
    expect((dw.arraySync() as number[][][][])[0][2][77][0]).toBe(src[(77 * 3 + 0) * 3 + 2]);
    const gk = model.getLayer('layer2.1.conv3').getWeights()[0]; // groups 3: (480, 40, 1, 1) -> (1, 1, 40, 480)
    expect(gk.shape).toEqual([1, 1, 40, 480]);
    expect((gk.arraySync() as number[][][][])[0][0][39][401]).toBe((dict.get('layer2.1.conv3.weight')!.data as Float32Array)[401 * 40 + 39]);
    model.dispose();
  });

  it('names the first missing tensor', () => {
    const dict = fakeStateDict('resnet8', 100);
    dict.delete('layer2.0.bn1.running_var');
    dict.delete('fc.bias');
    const e = mismatch(() => checkTorchStateDict(modelGraph('resnet8'), dict, 'ckpt.pth'));
    expect(e.problem).toBe('missing');
    expect(e.tensor).toBe('layer2.0.bn1.running_var');
    expect(e.message).toMatch(/^ckpt\.pth: checkpoint does not fit resnet8: missing tensor 'layer2\.0\.bn1\.running_var' \(expected shape \[32\]\) \(2 problems/);
  });

  it('names the first extra tensor', () => {
    const dict = fakeStateDict('resnet8', 100);
    dict.set('layer4.0.conv1.weight', { shape: [8, 8, 3, 3], data: new Float32Array(576) });
    dict.set('fc.num_batches_tracked', { shape: [], data: new BigInt64Array(1) }); // not a BN: extra too
    const e = mismatch(() => checkTorchStateDict(modelGraph('resnet8'), dict, 'ckpt.pth'));
    expect(e.problem).toBe('extra');
    expect(e.message).toContain("unexpected tensor 'layer4.0.conv1.weight' with shape [8, 8, 3, 3]");
    expect(e.message).toContain('2 extra');
  });

  it('names the first mis-shaped tensor, with a hint for the class count', () => {
    const dict = fakeStateDict('resnet8', 100);
    dict.set('layer1.0.conv2.weight', { shape: [16, 16, 1, 3], data: new Float32Array(768) });
    const e = mismatch(() => checkTorchStateDict(modelGraph('resnet8'), dict, 'ckpt.pth'));
    expect(e.problem).toBe('shape');
    expect(e.message).toContain("tensor 'layer1.0.conv2.weight' has shape [16, 16, 1, 3], expected [16, 16, 3, 3]");
    const e2 = mismatch(() => modelFromTorchStateDict('resnet8', fakeStateDict('resnet8', 10), { classes: 100, file: 'c10.pth' }));
    expect(e2.message).toMatch(/^c10\.pth: .*tensor 'fc\.weight' has shape \[10, 64\], expected \[100, 64\] — the checkpoint has 10 classes; pass \{ classes: 10 \}/);
  });

  it('rejects an integer tensor where weights belong', () => {
    const dict = fakeStateDict('resnet8', 100);
    dict.set('bn1.weight', { shape: [16], dtype: 'int64', data: new BigInt64Array(16) });
    expect(mismatch(() => checkTorchStateDict(modelGraph('resnet8'), dict)).problem).toBe('dtype');
  });

  it('rejects a real checkpoint of another architecture without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const path = join(FIXTURES, 'parity', 'resnet8.pth');
    await expect(loadTorchCheckpoint(path, 'resnet14')).rejects.toThrow(/resnet8\.pth: checkpoint does not fit resnet14: missing tensor 'layer1\.1\.conv1\.weight'/);
    await expect(loadTorchCheckpoint(path, 'wrn_16_1')).rejects.toThrow(/missing tensor 'block1\.layer\.0\.bn1\.weight'/);
    const bytes = readFileSync(path);
    await expect(loadTorchCheckpoint(bytes, 'resnet8', { classes: 100, file: 'mem.pth' })).rejects.toThrow(/^mem\.pth: .*'fc\.weight' has shape \[10, 64\]/);
    await expect(loadTorchCheckpoint(join(FIXTURES, 'parity', 'nope.pth'), 'resnet8')).rejects.toThrow(/nope\.pth/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads from bytes as from a file', async () => {
    const path = join(FIXTURES, 'parity', 'resnet8.pth');
    const a = await loadTorchCheckpoint(path, 'resnet8');
    const b = await loadTorchCheckpoint(new Uint8Array(readFileSync(path)), 'resnet8');
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    a.dispose();
    b.dispose();
  });
});
