import { ArgMax, util, type ArgMaxAttrs, type ArgMaxInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const argMaxConfig = torchKernel<ArgMaxInputs, ArgMaxAttrs>(ArgMax, ({ inputs: { x }, backend, attrs }) => {
  const axes = util.parseAxisParam(attrs.axis, x.shape);
  util.assert(axes.length === 1, () => `ArgMax takes one axis, got ${axes.length}`);
  return backend.out(backend.native.argReduce('ArgMax', backend.nid(x), axes[0]), 'int32');
});
