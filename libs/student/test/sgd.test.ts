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

  it('rejects bad options naming them', () => {
    expect(() => new SgdMomentum({ lr: -1 })).toThrow(/lr/);
    expect(() => new SgdMomentum({ momentum: Number.NaN })).toThrow(/momentum/);
    expect(() => new SgdMomentum({ milestones: [1.5] })).toThrow(/milestones/);
  });
});
