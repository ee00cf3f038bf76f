import {
  DepthwiseConv2dNativeBackpropInput, backend_util,
  type DepthwiseConv2dNativeBackpropInputAttrs, type DepthwiseConv2dNativeBackpropInputInputs,
} from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const depthwiseConv2dNativeBackpropInputConfig = torchKernel<DepthwiseConv2dNativeBackpropInputInputs, DepthwiseConv2dNativeBackpropInputAttrs>(
  DepthwiseConv2dNativeBackpropInput, ({ inputs: { dy, filter }, backend, attrs }) => {
    const inShape = attrs.inputShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
    if (dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth) {
      return new Decline('has no torch version for a dy whose size is not the convolution\'s output size');
    }
    return backend.out(backend.native.conv2dBackpropInput(backend.nid(dy), backend.nid(filter), [...inShape], convParams(info), true), 'float32');
  });
