import { SplitV, backend_util, util, type SplitVAttrs, type SplitVInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const splitVConfig = torchKernel<SplitVInputs, SplitVAttrs>(SplitV, ({ inputs: { x }, backend, attrs }) => {
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, attrs.numOrSizeSplits, axis);
  return backend.native.split(backend.nid(x), sizes, axis).map((id) => backend.out(id, x.dtype));
});
