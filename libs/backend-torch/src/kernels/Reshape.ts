import { Reshape, util, type ReshapeAttrs, type ReshapeInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

/** A view of the same ATen storage under the new shape (no copy). */
export const reshapeConfig = torchKernel<ReshapeInputs, ReshapeAttrs>(Reshape, ({ inputs: { x }, backend, attrs }) => {
  const size = util.sizeFromShape(x.shape);
  const shape = util.inferFromImplicitShape(attrs.shape, size);
  const newSize = util.sizeFromShape(shape);
  util.assert(size === newSize, () => `new shape (${shape}) has ${newSize} elements; the old shape (${x.shape}) has ${size}`);
  return backend.out(backend.native.reshape(backend.nid(x), shape), x.dtype);
});
