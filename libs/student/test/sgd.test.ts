import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SgdMomentum, stepDecayLr } from '../src/index.js';

interface Fixture {
  x: number[]; y: number[]; init: { w: number[]; b: number[] };
  lr: number; momentum: number; weightDecay: number; milestones: number[]; lrDecay: number;
  steps: { epoch: number; lr: number; loss: number; w: number[]; b: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/sgd-torch.json', import.meta.url), 'utf8')) as Fixture;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('stepDecayLr', () => {
  it('multiplies by the decay at each milestone passed (MultiStepLR)', () => {
    expect([0, 1, 2, 3, 4, 5].map((e) => stepDecayLr(0.1, e, [2, 4], 0.1))).toEqual(fixture.steps.map((s) => s.lr).map((v) => expect.closeTo(v, 12)));
    expect(stepDecayLr(0.05, 239, [150, 180, 210])).toBeCloseTo(0.05e-3, 12);
  });
});

describe('SgdMomentum', () => {
  it('follows torch.optim.SGD(momentum, weight_decay) + MultiStepLR step by step', () => {
    const w = tf.variable(tf.tensor2d(fixture.init.w, [3, 2]));
    const b = tf.variable(tf.tensor1d(fixture.init.b));
    const x = tf.tensor2d(fixture.x, [5, 3]);
    const y = tf.tensor2d(fixture.y, [5, 2]);
    const opt = new SgdMomentum({ lr: fixture.lr, momentum: fixture.momentum, weightDecay: fixture.weightDecay, milestones: fixture.milestones, lrDecay: fixture.lrDecay });
    const before = tf.memory().numTensors;
    for (const s of fixture.steps) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar, [w, b]);
        expect(value.dataSync()[0]).toBeCloseTo(s.loss, 4);
        expect(opt.lrAt(s.epoch)).toBeCloseTo(s.lr, 12);
        opt.apply([w, b], grads, opt.lrAt(s.epoch));
      });
      const gw = w.dataSync();
      const gb = b.dataSync();
      s.w.forEach((v, i) => expect(gw[i]).toBeCloseTo(v, 4));
      s.b.forEach((v, i) => expect(gb[i]).toBeCloseTo(v, 4));
    }
    // two momentum buffers were created on the first step; nothing else is left behind
    expect(opt.size).toBe(2);
    expect(tf.memory().numTensors).toBe(before + 2);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b, x, y]);
    expect(() => opt.apply([], {}, 0.1)).toThrow(/after dispose/);
  });

  it('hands out and restores its momentum buffers: a restored optimizer continues the same trajectory', () => {
    const run = (w: tf.Variable, opt: SgdMomentum, steps: number[]) => {
      for (const e of steps) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, -2, 3])))) as tf.Scalar, [w]);
          opt.apply([w], grads, opt.lrAt(e));
        });
      }
    };
    const w1 = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]), true, 'w');
    const a = new SgdMomentum({ lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    expect(a.buffer('w')).toBeUndefined();
    run(w1, a, [0, 0, 0]);
    const saved = (a.buffer('w')!.dataSync() as Float32Array).slice();
    const savedW = (w1.dataSync() as Float32Array).slice();
    run(w1, a, [0, 0]);
    // a fresh optimizer given the saved buffer and weights reproduces the last two steps
    const w2 = tf.variable(tf.tensor1d(savedW), true, 'w2');
    const b = new SgdMomentum({ lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    const before = tf.memory().numTensors;
    b.setBuffer('w2', saved, [3]);
    b.setBuffer('w2', saved, [3]); // replacing disposes the previous buffer
    expect(tf.memory().numTensors).toBe(before + 1);
    run(w2, b, [0, 0]);
    Array.from(w2.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(w1.dataSync()[i], 6));
    expect(() => b.setBuffer('w2', saved, [2, 2])).toThrow(/setBuffer\('w2'\): 3 values for shape \[2, 2\]/);
    a.dispose();
    b.dispose();
    tf.dispose([w1, w2]);
  });

  it('rejects bad options naming them', () => {
    expect(() => new SgdMomentum({ lr: -1 })).toThrow(/lr/);
    expect(() => new SgdMomentum({ momentum: Number.NaN })).toThrow(/momentum/);
    expect(() => new SgdMomentum({ milestones: [1.5] })).toThrow(/milestones/);
  });
});
