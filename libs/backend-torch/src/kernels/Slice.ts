import { Slice, slice_util, type SliceAttrs, type SliceInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const sliceConfig = torchKernel<SliceInputs, SliceAttrs>(Slice, ({ inputs: { x }, backend, attrs }) => {
  const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size);
  slice_util.assertParamsValid(x, begin, size);
  return backend.out(backend.native.slice(backend.nid(x), begin, size), x.dtype);
});
