import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChannelShuffle, ChannelSlice, GroupConv2D, NetGraph, graphToLayersModel } from '../src/index.js';
import { cpuBackend } from './helpers.js';

describe('custom layers', () => {
  beforeAll(cpuBackend);

  it('ChannelShuffle equals PyTorch reshape(g, C/g) -> permute -> reshape', () => {
    const before = tf.memory().numTensors;
    const [c, g] = [12, 3];
    const x = tf.tensor4d(Array.from({ length: 2 * c }, (_, k) => k), [1, 1, 2, c]);
    const y = new ChannelShuffle({ groups: g }).apply(x) as tf.Tensor;
    const out = y.dataSync();
    // PyTorch: out channel j*g + i <- in channel i*(C/g) + j
    for (let p = 0; p < 2; p++) for (let i = 0; i < g; i++) for (let j = 0; j < c / g; j++) {
      expect(out[p * c + j * g + i]).toBe(p * c + i * (c / g) + j);
    }
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ChannelSlice takes a channel range', () => {
    const x = tf.tensor4d(Array.from({ length: 8 }, (_, k) => k), [1, 1, 1, 8]);
    const y = new ChannelSlice({ start: 3, size: 4 }).apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([3, 4, 5, 6]);
    tf.dispose([x, y]);
  });

  it('GroupConv2D equals a dense conv with a block-diagonal kernel', () => {
    const before = tf.memory().numTensors;
    const [cin, cout, g, k] = [6, 9, 3, 3];
    const layer = new GroupConv2D({ filters: cout, kernelSize: k, groups: g, padding: 'same', useBias: true });
    const x = tf.randomNormal([2, 5, 5, cin], 0, 1, 'float32', 3);
    const y = layer.apply(x) as tf.Tensor;
    const [kernel, bias] = layer.getWeights();
    expect(kernel.shape).toEqual([k, k, cin / g, cout]);
    const kv = kernel.arraySync() as number[][][][];
    const full = tf.buffer([k, k, cin, cout]);
    for (let h = 0; h < k; h++) for (let w = 0; w < k; w++) for (let o = 0; o < cout; o++) {
      const grp = Math.floor(o / (cout / g));
      for (let i = 0; i < cin / g; i++) full.set(kv[h][w][i][o], h, w, grp * (cin / g) + i, o);
    }
    const ref = tf.tidy(() => tf.add(tf.conv2d(x as tf.Tensor4D, full.toTensor() as tf.Tensor4D, 1, 'same'), bias));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, ref))));
    expect(diff.dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, y, ref, diff]); // getWeights() returns the variables themselves: layer.dispose() frees them
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stride-2 convs pad symmetrically like PyTorch (not TF "same")', () => {
    const g = new NetGraph('pad');
    const x = g.input([4, 4, 1]);
    g.setOutput(g.conv(x, 'c', 1, { kernel: 3, stride: 2, pad: 1 }));
    const model = graphToLayersModel(g);
    model.getLayer('c').setWeights([tf.ones([3, 3, 1, 1])]);
    const input = tf.tensor4d(Array.from({ length: 16 }, (_, k) => k), [1, 4, 4, 1]);
    const y = model.predict(input) as tf.Tensor;
    // PyTorch conv2d(stride 2, padding 1) of 0..15 (4x4) with a 3x3 ones kernel: windows centred on
    // (0,0),(0,2),(2,0),(2,2); TF 'same' would centre them on (1,1),... and give 45 first.
    expect(Array.from(y.dataSync())).toEqual([10, 24, 51, 90]);
    tf.dispose([input, y]);
    model.dispose();
  });

  it('rejects channel counts the groups do not divide', () => {
    expect(() => new GroupConv2D({ filters: 10, kernelSize: 1, groups: 3 })).toThrow(/not divisible by groups=3/);
    const g = new NetGraph('bad');
    const x = g.input([8, 8, 10]);
    expect(() => g.conv(x, 'c', 12, { kernel: 1, groups: 3 })).toThrow(/bad: c: 10 -> 12 channels not divisible by groups=3/);
    expect(() => g.shuffle(x, 's', 3)).toThrow(/not divisible/);
  });
});
