import { Cumprod, util, type CumprodAttrs, type CumprodInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const cumprodConfig = torchKernel<CumprodInputs, CumprodAttrs>(Cumprod, ({ inputs: { x }, backend, attrs }) => {
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  return backend.out(backend.native.cumulative('Cumprod', backend.nid(x), axis, attrs.exclusive, attrs.reverse), x.dtype);
});
