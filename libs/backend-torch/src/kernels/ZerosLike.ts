import { ZerosLike, type ZerosLikeInputs } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { Decline, torchKernel } from './kernel.js';

export const zerosLikeConfig = torchKernel<ZerosLikeInputs>(ZerosLike, ({ inputs: { x }, backend }) => {
  if (!isNativeDtype(x.dtype)) return new Decline(`has no torch version for dtype ${x.dtype}`);
  return backend.out(backend.native.fill(x.shape, 0, DTYPE_CODE[x.dtype]), x.dtype);
});
