import { Cast, type CastAttrs, type CastInputs } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { Decline, torchKernel } from './kernel.js';

export const castConfig = torchKernel<CastInputs, CastAttrs>(Cast, ({ inputs: { x }, backend, attrs }) => {
  if (!isNativeDtype(attrs.dtype)) return new Decline(`has no torch version for a cast to ${attrs.dtype}`);
  if (attrs.dtype === x.dtype) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }
  return backend.out(backend.native.cast(backend.nid(x), DTYPE_CODE[attrs.dtype]), attrs.dtype);
});
