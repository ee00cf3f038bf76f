import {
  DepthwiseConv2dNativeBackpropInput, backend_util,
  type DepthwiseConv2dNativeBackpropInputAttrs, type DepthwiseConv2dNativeBackpropInputInputs,
} from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { torchKernel } from './kernel.js';

export const depthwiseConv2dNativeBackpropInputConfig = torchKernel<DepthwiseConv2dNativeBackpropInputInputs, DepthwiseConv2dNativeBackpropInputAttrs>(
  DepthwiseConv2dNativeBackpropInput, ({ inputs: { dy, filter }, backend, attrs }) => {
    const inShape = attrs.inputShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(inShape, filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
    return backend.out(backend.native.conv2dBackpropInput(backend.nid(dy), backend.nid(filter), [...inShape], convParams(info), true), 'float32');
  });
