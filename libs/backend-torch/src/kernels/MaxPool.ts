import { MaxPool, backend_util, type MaxPoolAttrs, type MaxPoolInputs } from '@tensorflow/tfjs-core';
import { poolParams } from './conv-util.js';
import { poolDecline } from './conv-util.js';
import { torchKernel } from './kernel.js';

export const maxPoolConfig = torchKernel<MaxPoolInputs, MaxPoolAttrs>(MaxPool, ({ inputs: { x }, backend, attrs }) => {
  const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1,
    attrs.pad, attrs.dimRoundingMode);
  const decline = poolDecline(info, attrs.dimRoundingMode);
  if (decline !== null) return decline;
  return backend.out(backend.native.pool('max', backend.nid(x), poolParams(info)), x.dtype);
});
