// The five gradients of FusedBatchNorm (x, mean, variance, offset, scale) in one native call; used by
// the FusedBatchNorm gradient registered in ../gradients.ts (TF.js composes ~12 full-size ops).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const ATKD_FUSED_BATCH_NORM_GRAD = 'AtkdFusedBatchNormGrad';

export interface AtkdFusedBatchNormGradInputs {
  dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo;
}
export interface AtkdFusedBatchNormGradAttrs { varianceEpsilon: number }

export const atkdFusedBatchNormGradConfig = torchKernel<AtkdFusedBatchNormGradInputs, AtkdFusedBatchNormGradAttrs, 'scale'>(ATKD_FUSED_BATCH_NORM_GRAD,
  ({ inputs: { dy, x, mean, variance, scale }, backend, attrs }) => {
    const ids = backend.native.batchNormGrad(backend.nid(dy), backend.nid(x), backend.nid(mean), backend.nid(variance),
      scale != null ? backend.nid(scale) : 0, attrs.varianceEpsilon);
    return ids.map((id) => backend.out(id, 'float32'));
  });
