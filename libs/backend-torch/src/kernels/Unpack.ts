import { Unpack, type UnpackAttrs, type UnpackInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const unpackConfig = torchKernel<UnpackInputs, UnpackAttrs>(Unpack, ({ inputs: { value }, backend, attrs }) => {
  const rank = value.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  const n = backend.native;
  const outShape = value.shape.filter((_, d) => d !== axis);
  const parts = n.split(backend.nid(value), new Array<number>(value.shape[axis]).fill(1), axis);
  return parts.map((id) => {
    const r = n.reshape(id, outShape);
    n.dispose(id);
    return backend.out(r, value.dtype);
  });
});
