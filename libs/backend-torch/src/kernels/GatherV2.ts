import { GatherV2, util, type GatherV2Attrs, type GatherV2Inputs } from '@tensorflow/tfjs-core';
import { Decline, torchKernel } from './kernel.js';

export const gatherV2Config = torchKernel<GatherV2Inputs, GatherV2Attrs>(GatherV2, ({ inputs: { x, indices }, backend, attrs }) => {
  if ((attrs.batchDims ?? 0) !== 0) return new Decline('has no torch version for batchDims > 0');
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  return backend.out(backend.native.gather(backend.nid(x), backend.nid(indices), axis), x.dtype);
});
