import { Reverse, util, type ReverseAttrs, type ReverseInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const reverseConfig = torchKernel<ReverseInputs, ReverseAttrs>(Reverse, ({ inputs: { x }, backend, attrs }) => {
  const dims = util.parseAxisParam(attrs.dims, x.shape);
  if (dims.length === 0) return backend.out(backend.native.unary('Identity', backend.nid(x)), x.dtype);
  return backend.out(backend.native.reverse(backend.nid(x), dims), x.dtype);
});
