import { ArgMin, util, type ArgMinAttrs, type ArgMinInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const argMinConfig = torchKernel<ArgMinInputs, ArgMinAttrs>(ArgMin, ({ inputs: { x }, backend, attrs }) => {
  const axes = util.parseAxisParam(attrs.axis, x.shape);
  util.assert(axes.length === 1, () => `ArgMin takes one axis, got ${axes.length}`);
  return backend.out(backend.native.argReduce('ArgMin', backend.nid(x), axes[0]), 'int32');
});
