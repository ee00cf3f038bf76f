import { FusedBatchNorm, type FusedBatchNormAttrs, type FusedBatchNormInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const fusedBatchNormConfig = torchKernel<FusedBatchNormInputs, FusedBatchNormAttrs, 'offset' | 'scale'>(FusedBatchNorm, ({ inputs, backend, attrs }) => {
  const { x, mean, variance, offset, scale } = inputs;
  const id = backend.native.batchNorm(backend.nid(x), backend.nid(mean), backend.nid(variance),
    offset != null ? backend.nid(offset) : 0, scale != null ? backend.nid(scale) : 0, attrs.varianceEpsilon ?? 0.001);
  return backend.out(id, 'float32');
});
