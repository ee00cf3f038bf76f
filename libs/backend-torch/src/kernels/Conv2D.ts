import { Conv2D, backend_util, type Conv2DAttrs, type Conv2DInputs } from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const conv2DConfig = torchKernel<Conv2DInputs, Conv2DAttrs>(Conv2D, ({ inputs: { x, filter }, backend, attrs }) => {
  if (attrs.dataFormat === 'NCHW') return new Decline('has no torch version for dataFormat NCHW');
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  return backend.out(backend.native.conv2d(backend.nid(x), backend.nid(filter), 0, convParams(info), false), 'float32');
});
