import { OneHot, type OneHotAttrs, type OneHotInputs } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { Decline, torchKernel } from './kernel.js';

export const oneHotConfig = torchKernel<OneHotInputs, OneHotAttrs>(OneHot, ({ inputs: { indices }, backend, attrs }) => {
  if (!isNativeDtype(attrs.dtype)) return new Decline(`has no torch version for dtype ${attrs.dtype}`);
  return backend.out(backend.native.oneHot(backend.nid(indices), attrs.depth, attrs.onValue, attrs.offValue, DTYPE_CODE[attrs.dtype]), attrs.dtype);
});
