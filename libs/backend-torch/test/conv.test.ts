// Convolutions (regular and depthwise, forward and both gradients, fused bias/activation) and
// pooling (max/avg and their gradients) against cpu over random geometries: strides, dilations,
// `same` (asymmetric for even sizes and strides > 1), `valid` and explicit paddings.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fallbackKernelsUsed, resetFallbackKernelsUsed } from '../src/index.js';
import { type Case, caseArb } from '../../backend/test/conv-cases.js';
import { SKIP, compareKernel, tensor } from './helpers.js';

const RUNS = 60;

function outShape(c: Case, depthwise: boolean): number[] {
  const prev = tf.getBackend();
  tf.setBackend('cpu');
  const shape = tf.tidy(() => {
    const x = tf.zeros([c.n, c.h, c.w, c.ci]) as tf.Tensor4D;
    const f = tf.zeros([c.fh, c.fw, c.ci, c.co]) as tf.Tensor4D;
    return (depthwise ? tf.depthwiseConv2d(x, f, c.stride, c.pad, 'NHWC', c.dilation) : tf.conv2d(x, f, c.stride, c.pad, 'NHWC', c.dilation)).shape;
  });
  tf.setBackend(prev);
  return shape;
}

describe.skipIf(SKIP !== null)('torch convolutions and pooling match cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('torch');
    resetFallbackKernelsUsed();
  });

  for (const depthwise of [false, true]) {
    const [fwd, bi, bf] = depthwise
      ? ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
      : ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
    it(`${fwd}, ${bi}, ${bf}`, () => {
      fc.assert(fc.property(caseArb, (c) => {
        const xShape = [c.n, c.h, c.w, c.ci];
        const fShape = [c.fh, c.fw, c.ci, c.co];
        const yShape = outShape(c, depthwise);
        if (yShape.some((d) => d === 0)) return;
        const common = { strides: c.stride, pad: c.pad, dilations: c.dilation, dataFormat: 'NHWC' };
        compareKernel(fwd, () => ({ x: tensor(xShape, c.seed), filter: tensor(fShape, c.seed + 1) }), common);
        // TF.js's gradients take no dilation (conv2d: no dilation attr; depthwise: asserted, and the
        // cpu kernel ignores it)
        if (c.dilation[0] > 1 || c.dilation[1] > 1) return;
        compareKernel(bi, () => ({ dy: tensor(yShape, c.seed + 2), filter: tensor(fShape, c.seed + 1) }), { ...common, inputShape: xShape });
        compareKernel(bf, () => ({ x: tensor(xShape, c.seed), dy: tensor(yShape, c.seed + 2) }), { ...common, filterShape: fShape });
      }), { numRuns: RUNS });
    });
  }

  it('FusedConv2D and FusedDepthwiseConv2D with bias and activations', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'), fc.boolean(),
      (c, activation, bias) => {
        for (const depthwise of [false, true]) {
          const yShape = outShape(c, depthwise);
          if (yShape.some((d) => d === 0)) continue;
          const co = yShape[3];
          compareKernel(depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D', () => ({
            x: tensor([c.n, c.h, c.w, c.ci], c.seed), filter: tensor([c.fh, c.fw, c.ci, c.co], c.seed + 1),
            ...(bias ? { bias: tensor([co], c.seed + 3) } : {}),
            ...(activation === 'prelu' ? { preluActivationWeights: tensor([co], c.seed + 4) } : {}),
          }), { strides: c.stride, pad: c.pad, dilations: c.dilation, dataFormat: 'NHWC', activation, leakyreluAlpha: 0.25 });
        }
      }), { numRuns: 30 });
  });

  it('MaxPool, AvgPool and their gradients', () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 4 }),
      fh: fc.integer({ min: 1, max: 4 }), fw: fc.integer({ min: 1, max: 4 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom('same' as const, 'valid' as const), seed: fc.integer({ min: 1, max: 1 << 30 }),
    }).filter((r) => r.pad === 'same' || (r.h >= r.fh && r.w >= r.fw));
    fc.assert(fc.property(arb, (r) => {
      const attrs = { filterSize: [r.fh, r.fw], strides: [r.sh, r.sw], pad: r.pad };
      const xShape = [r.n, r.h, r.w, r.c];
      const prev = tf.getBackend();
      tf.setBackend('cpu');
      const z = tf.zeros(xShape);
      const y = tf.maxPool(z as tf.Tensor4D, [r.fh, r.fw], [r.sh, r.sw], r.pad);
      const yShape: number[] = y.shape;
      tf.dispose([z, y]);
      tf.setBackend(prev);
      compareKernel('MaxPool', () => ({ x: tensor(xShape, r.seed) }), attrs);
      compareKernel('AvgPool', () => ({ x: tensor(xShape, r.seed) }), attrs);
      compareKernel('AvgPoolGrad', () => ({ dy: tensor(yShape, r.seed + 1), input: tensor(xShape, r.seed) }), attrs);
      compareKernel('MaxPoolGrad', () => {
        const input = tensor(xShape, r.seed);
        return { dy: tensor(yShape, r.seed + 1), input, output: tf.maxPool(input as tf.Tensor4D, [r.fh, r.fw], [r.sh, r.sw], r.pad) };
      }, attrs);
    }), { numRuns: RUNS });
  });

  it('uses no cpu fallback', () => {
    expect(fallbackKernelsUsed()).toEqual([]);
  });
});
