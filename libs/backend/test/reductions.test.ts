// atkd's wasm Sum/Mean (leading-axes reductions as one matrix product) vs the cpu backend.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { on, rnd } from './helpers.js';

describe('atkd wasm Sum / Mean vs cpu', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: false });
  });

  it('agrees on random shapes, axes and keepDims (relative to sum |x|)', () => {
    const arb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      keepDims: fc.boolean(),
      mean: fc.boolean(),
      axisMask: fc.integer({ min: 1, max: 15 }),
    });
    fc.assert(fc.property(arb, ({ shape, seed, keepDims, mean, axisMask }) => {
      const axes = shape.map((_, i) => i).filter((i) => (axisMask >> i) & 1);
      if (axes.length === 0) return;
      const x = rnd(shape, seed);
      const f = () => (mean ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims));
      const cpu = on('cpu', f);
      const scale = on('cpu', () => (mean ? tf.mean(tf.abs(x), axes, keepDims) : tf.sum(tf.abs(x), axes, keepDims))).data;
      on('wasm', f);
      const ids = tf.engine().backend.numDataIds();
      const wasm = on('wasm', f);
      expect(tf.engine().backend.numDataIds()).toBe(ids);
      expect(wasm.shape).toEqual(cpu.shape);
      wasm.data.forEach((v, i) => expect(Math.abs(v - cpu.data[i])).toBeLessThanOrEqual(1e-4 * Math.max(scale[i], 1e-6)));
      x.dispose();
    }), { numRuns: 100, seed: 7 });
  });

  it('batch-norm statistics of a large activation ([64,16,16,8] over N,H,W)', () => {
    const x = rnd([64, 16, 16, 8], 5);
    for (const f of [() => tf.sum(x, [0, 1, 2]), () => tf.mean(x, [0, 1, 2], true)]) {
      const cpu = on('cpu', f), wasm = on('wasm', f);
      const absSum = on('cpu', () => tf.sum(tf.abs(x), [0, 1, 2])).data;
      expect(wasm.shape).toEqual(cpu.shape);
      wasm.data.forEach((v, i) => expect(Math.abs(v - cpu.data[i])).toBeLessThanOrEqual(1e-5 * absSum[i]));
    }
    x.dispose();
  });

  it('int32 and full reductions use the wasm backend\'s own kernel', () => {
    tf.setBackend('wasm');
    tf.tidy(() => {
    const i = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    expect(Array.from(tf.sum(i, 0).dataSync())).toEqual([4, 6]);
    expect(tf.sum(i, 0).dtype).toBe('int32');
    expect(tf.sum(tf.ones([3, 3])).dataSync()[0]).toBe(9);
    });
  });
});
