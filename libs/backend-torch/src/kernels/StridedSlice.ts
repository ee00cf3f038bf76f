import { StridedSlice, slice_util, type StridedSliceAttrs, type StridedSliceInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const stridedSliceConfig = torchKernel<StridedSliceInputs, StridedSliceAttrs>(StridedSlice, ({ inputs: { x }, backend, attrs }) => {
  const info = slice_util.sliceInfo(x.shape, attrs.begin, attrs.end, attrs.strides, attrs.beginMask, attrs.endMask,
    attrs.ellipsisMask, attrs.newAxisMask, attrs.shrinkAxisMask);
  const n = backend.native;
  if (info.isIdentity) return backend.out(n.reshape(backend.nid(x), info.finalShape), x.dtype);
  // sliceInfo's begin/end/strides are dense (one per dimension of x, masks applied; end -1 with a
  // negative stride runs through index 0); shrunk and new axes are in finalShape.
  return backend.out(n.stridedSlice(backend.nid(x), info.begin, info.end, info.strides, info.finalShape), x.dtype);
});
