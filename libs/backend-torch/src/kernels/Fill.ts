import { Fill, type FillAttrs } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { Decline, torchKernel } from './kernel.js';

export const fillConfig = torchKernel<Record<string, never>, FillAttrs>(Fill, ({ backend, attrs }) => {
  const dtype = attrs.dtype ?? (typeof attrs.value === 'string' ? 'string' : 'float32');
  if (!isNativeDtype(dtype) || typeof attrs.value !== 'number') return new Decline(`has no torch version for dtype ${dtype}`);
  return backend.out(backend.native.fill(attrs.shape, attrs.value, DTYPE_CODE[dtype]), dtype);
});
