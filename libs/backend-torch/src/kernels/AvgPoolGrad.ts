import { AvgPoolGrad, backend_util, type AvgPoolGradAttrs, type AvgPoolGradInputs } from '@tensorflow/tfjs-core';
import { poolParams } from './conv-util.js';
import { poolDecline } from './conv-util.js';
import { torchKernel } from './kernel.js';

export const avgPoolGradConfig = torchKernel<AvgPoolGradInputs, AvgPoolGradAttrs>(AvgPoolGrad, ({ inputs: { dy, input }, backend, attrs }) => {
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1,
    attrs.pad, undefined);
  const decline = poolDecline(info, (attrs as { dimRoundingMode?: string }).dimRoundingMode);
  if (decline !== null) return decline;
  return backend.out(backend.native.poolGrad('avg', backend.nid(dy), backend.nid(input), poolParams(info)), 'float32');
});
