import { Cumsum, util, type CumsumAttrs, type CumsumInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const cumsumConfig = torchKernel<CumsumInputs, CumsumAttrs>(Cumsum, ({ inputs: { x }, backend, attrs }) => {
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  return backend.out(backend.native.cumulative('Cumsum', backend.nid(x), axis, attrs.exclusive, attrs.reverse), x.dtype);
});
