// atkd's wasm convolution gradients against the cpu backend, over random geometries.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.js';
import { type Case, caseArb } from './conv-cases.js';
import { on, relErr, rnd } from './helpers.js';

function outShape(c: Case, depthwise: boolean): number[] {
  return tf.tidy(() => {
    const x = tf.zeros([c.n, c.h, c.w, c.ci]) as tf.Tensor4D;
    if (depthwise) {
      return tf.depthwiseConv2d(x, tf.zeros([c.fh, c.fw, c.ci, c.co]) as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation).shape;
    }
    return tf.conv2d(x, tf.zeros([c.fh, c.fw, c.ci, c.co]) as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation).shape;
  });
}

const RUNS = 100;
const TOL = 1e-4;

/** Compares one kernel on wasm and cpu; checks that wasm leaks neither tensors nor backend buffers. */
function compare(kernel: string, inputs: () => Record<string, tf.Tensor>, attrs: Record<string, unknown>): void {
  const run = () => tf.engine().runKernel(kernel, inputs() as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const cpu = on('cpu', run);
  on('wasm', run); // moves the inputs onto wasm
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = tf.engine().backend.numDataIds();
  const wasm = on('wasm', run);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
  expect(wasm.shape).toEqual(cpu.shape);
  expect(relErr(wasm.data, cpu.data)).toBeLessThanOrEqual(TOL);
}

/**
 * The cpu backend ignores dilations in its backprop kernels, so dilated cases are checked by the
 * adjoint identity <conv(x, W), dy> = <W, dW(x, dy)> = <x, dX(dy, W)> with the cpu forward conv.
 */
function adjoint(c: Case, depthwise: boolean): void {
  const x = rnd([c.n, c.h, c.w, c.ci], c.seed);
  const w = rnd([c.fh, c.fw, c.ci, c.co], c.seed + 1);
  const dy = rnd(outShape(c, depthwise), c.seed + 2);
  const attrs = { strides: c.stride, dilations: c.dilation, pad: c.pad, dataFormat: 'NHWC' };
  const names = depthwise
    ? ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']
    : ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
  const lhs = on('cpu', () => {
    const y = depthwise
      ? tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation)
      : tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation);
    return tf.sum(tf.mul(y, dy));
  }).data[0];
  const viaFilter = on('wasm', () => tf.sum(tf.mul(w, tf.engine().runKernel(names[0], { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor))).data[0];
  const viaInput = on('wasm', () => tf.sum(tf.mul(x, tf.engine().runKernel(names[1], { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor))).data[0];
  const scale = Math.max(1, Math.abs(lhs));
  expect(Math.abs(viaFilter - lhs) / scale).toBeLessThanOrEqual(TOL);
  expect(Math.abs(viaInput - lhs) / scale).toBeLessThanOrEqual(TOL);
  tf.dispose([x, w, dy]);
}

const dilated = (c: Case) => c.dilation[0] > 1 || c.dilation[1] > 1;

describe('atkd wasm convolution gradients vs cpu', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm', log: false });
    expect(info.kernels).toContain('Conv2DBackpropFilter');
  });

  it('Conv2DBackpropFilter', () => {
    fc.assert(fc.property(caseArb, (c) => {
      if (dilated(c)) return adjoint(c, false);
      const x = rnd([c.n, c.h, c.w, c.ci], c.seed);
      const dy = rnd(outShape(c, false), c.seed + 1);
      compare('Conv2DBackpropFilter', () => ({ x, dy }),
        { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.fh, c.fw, c.ci, c.co] });
      tf.dispose([x, dy]);
    }), { numRuns: RUNS, seed: 42 });
  });

  it('Conv2DBackpropInput', () => {
    fc.assert(fc.property(caseArb, (c) => {
      if (dilated(c)) return adjoint(c, false);
      const filter = rnd([c.fh, c.fw, c.ci, c.co], c.seed);
      const dy = rnd(outShape(c, false), c.seed + 1);
      compare('Conv2DBackpropInput', () => ({ dy, filter }),
        { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.ci] });
      tf.dispose([filter, dy]);
    }), { numRuns: RUNS, seed: 43 });
  });

  it('DepthwiseConv2dNativeBackpropFilter (with dilations and channel multipliers)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      if (dilated(c)) return adjoint(c, true);
      const x = rnd([c.n, c.h, c.w, c.ci], c.seed);
      const dy = rnd(outShape(c, true), c.seed + 1);
      compare('DepthwiseConv2dNativeBackpropFilter', () => ({ x, dy }),
        { strides: c.stride, dilations: c.dilation, pad: c.pad, filterShape: [c.fh, c.fw, c.ci, c.co] });
      tf.dispose([x, dy]);
    }), { numRuns: RUNS, seed: 44 });
  });

  it('DepthwiseConv2dNativeBackpropInput (with dilations and channel multipliers)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      if (dilated(c)) return adjoint(c, true);
      const filter = rnd([c.fh, c.fw, c.ci, c.co], c.seed);
      const dy = rnd(outShape(c, true), c.seed + 1);
      compare('DepthwiseConv2dNativeBackpropInput', () => ({ dy, filter }),
        { strides: c.stride, dilations: c.dilation, pad: c.pad, inputShape: [c.n, c.h, c.w, c.ci] });
      tf.dispose([filter, dy]);
    }), { numRuns: RUNS, seed: 45 });
  });

  it('rejects NCHW with a clear error', () => {
    tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 2]), dy = tf.zeros([1, 4, 4, 3]);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] })).toThrow(/Conv2DBackpropFilter: dataFormat 'NCHW'/);
    tf.dispose([x, dy]);
  });
});
