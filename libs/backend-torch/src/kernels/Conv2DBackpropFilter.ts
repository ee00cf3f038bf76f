import { Conv2DBackpropFilter, backend_util, type Conv2DBackpropFilterAttrs, type Conv2DBackpropFilterInputs } from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const conv2DBackpropFilterConfig = torchKernel<Conv2DBackpropFilterInputs, Conv2DBackpropFilterAttrs>(Conv2DBackpropFilter,
  ({ inputs: { x, dy }, backend, attrs }) => {
    if (attrs.dataFormat === 'NCHW') return new Decline('has no torch version for dataFormat NCHW');
    const fs = attrs.filterShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], fs,
      attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    return backend.out(backend.native.conv2dBackpropFilter(backend.nid(x), backend.nid(dy), [...fs], convParams(info), false), 'float32');
  });
