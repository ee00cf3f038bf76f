import { Conv2DBackpropInput, backend_util, type Conv2DBackpropInputAttrs, type Conv2DBackpropInputInputs } from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const conv2DBackpropInputConfig = torchKernel<Conv2DBackpropInputInputs, Conv2DBackpropInputAttrs>(Conv2DBackpropInput,
  ({ inputs: { dy, filter }, backend, attrs }) => {
    if (attrs.dataFormat === 'NCHW') return new Decline('has no torch version for dataFormat NCHW');
    const inShape = attrs.inputShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number],
      attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    if (dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth) {
      return new Decline('has no torch version for a dy whose size is not the convolution\'s output size');
    }
    return backend.out(backend.native.conv2dBackpropInput(backend.nid(dy), backend.nid(filter), [...inShape], convParams(info), false), 'float32');
  });
