import { Pack, util, type PackAttrs, type PackInputs, type TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

/** Stacks along a new axis: each input viewed with the axis inserted (no copy), then one concat. */
export const packConfig = torchKernel<PackInputs, PackAttrs>(Pack, ({ inputs, backend, attrs }) => {
  const xs = Object.values(inputs) as TensorInfo[];
  const rank = xs[0].shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank + 1 : attrs.axis;
  util.assert(axis >= 0 && axis <= rank, () => `Pack axis ${attrs.axis} is out of range for rank ${rank}`);
  const n = backend.native;
  const shape = [...xs[0].shape.slice(0, axis), 1, ...xs[0].shape.slice(axis)];
  const views = xs.map((t) => {
    util.assertShapesMatch(xs[0].shape, t.shape, 'All tensors passed to stack must have matching shapes');
    util.assert(t.dtype === xs[0].dtype, () => 'All tensors passed to stack must have matching dtypes');
    return n.reshape(backend.nid(t), shape);
  });
  try {
    return backend.out(n.concat(views, axis), xs[0].dtype);
  } finally {
    for (const v of views) n.dispose(v);
  }
});
