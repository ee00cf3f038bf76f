import { Concat, backend_util, util, type ConcatAttrs, type ConcatInputs, type TensorInfo } from '@tensorflow/tfjs-core';
import { DTYPE_CODE } from '../native.js';
import { isNativeDtype } from '../backend.js';
import { torchKernel } from './kernel.js';

export const concatConfig = torchKernel<ConcatInputs, ConcatAttrs>(Concat, ({ inputs, backend, attrs }) => {
  const all = Object.values(inputs) as TensorInfo[];
  const axis = util.parseAxisParam(attrs.axis, all[0].shape)[0];
  backend_util.assertParamsConsistent(all.map((t) => t.shape), axis);
  const outShape = backend_util.computeOutShape(all.map((t) => t.shape), axis);
  const dtype = all[0].dtype;
  const live = all.filter((t) => util.sizeFromShape(t.shape) > 0);
  if (live.length === 0) return backend.out(backend.native.fill(outShape, 0, isNativeDtype(dtype) ? DTYPE_CODE[dtype] : 0), dtype);
  return backend.out(backend.native.concat(live.map((t) => backend.nid(t)), axis), dtype);
});
