import { OnesLike, type OnesLikeInputs } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { Decline, torchKernel } from './kernel.js';

export const onesLikeConfig = torchKernel<OnesLikeInputs>(OnesLike, ({ inputs: { x }, backend }) => {
  if (!isNativeDtype(x.dtype)) return new Decline(`has no torch version for dtype ${x.dtype}`);
  return backend.out(backend.native.fill(x.shape, 1, DTYPE_CODE[x.dtype]), x.dtype);
});
