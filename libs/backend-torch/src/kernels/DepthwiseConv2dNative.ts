import { DepthwiseConv2dNative, backend_util, type DepthwiseConv2dNativeAttrs, type DepthwiseConv2dNativeInputs } from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const depthwiseConv2dNativeConfig = torchKernel<DepthwiseConv2dNativeInputs, DepthwiseConv2dNativeAttrs>(DepthwiseConv2dNative,
  ({ inputs: { x, filter }, backend, attrs }) => {
    if (attrs.dataFormat === 'NCHW') return new Decline('has no torch version for dataFormat NCHW');
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
    return backend.out(backend.native.conv2d(backend.nid(x), backend.nid(filter), 0, convParams(info), true), 'float32');
  });
