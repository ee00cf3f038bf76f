import { FusedDepthwiseConv2D, backend_util, util, type FusedDepthwiseConv2DAttrs, type FusedDepthwiseConv2DInputs } from '@tensorflow/tfjs-core';
import { convParams } from './conv-util.js';
import { Decline, torchKernel } from './kernel.js';

export const fusedDepthwiseConv2DConfig = torchKernel<FusedDepthwiseConv2DInputs, FusedDepthwiseConv2DAttrs, 'bias' | 'preluActivationWeights'>(FusedDepthwiseConv2D,
  ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    if (attrs.dataFormat === 'NCHW') return new Decline('has no torch version for dataFormat NCHW');
    const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast');
    if (bias != null && util.sizeFromShape(bias.shape) !== info.outChannels) return new Decline('has no torch version for a bias that is not per channel');
    const id = backend.native.conv2d(backend.nid(x), backend.nid(filter), bias != null ? backend.nid(bias) : 0, convParams(info), true,
      attrs.activation ?? 'linear', attrs.leakyreluAlpha ?? 0.2, preluActivationWeights != null ? backend.nid(preluActivationWeights) : 0);
    return backend.out(id, 'float32');
  });
