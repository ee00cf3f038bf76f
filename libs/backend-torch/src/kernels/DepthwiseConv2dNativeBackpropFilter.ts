import {
  DepthwiseConv2dNativeBackpropFilter, backend_util,
  type DepthwiseConv2dNativeBackpropFilterAttrs, type DepthwiseConv2dNativeBackpropFilterInputs,
} from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { torchKernel } from './kernel.js';

export const depthwiseConv2dNativeBackpropFilterConfig = torchKernel<DepthwiseConv2dNativeBackpropFilterInputs, DepthwiseConv2dNativeBackpropFilterAttrs>(
  DepthwiseConv2dNativeBackpropFilter, ({ inputs: { x, dy }, backend, attrs }) => {
    const fs = attrs.filterShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], fs,
      attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
    return backend.out(backend.native.conv2dBackpropFilter(backend.nid(x), backend.nid(dy), [...fs], convParams(info), true), 'float32');
  });
