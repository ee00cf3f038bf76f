// The gradient of AtkdBatchNormTrain (dx, dscale, doffset) in one ATen call
// (native_batch_norm_backward, train mode); used by the gradient registered in ../gradients.ts.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const ATKD_BATCH_NORM_TRAIN_GRAD = 'AtkdBatchNormTrainGrad';

/** dmean / dvariance: the gradients reaching the batch statistics (zeros when only the moving averages read them). */
export interface AtkdBatchNormTrainGradInputs {
  dy: TensorInfo; x: TensorInfo; scale: TensorInfo; mean: TensorInfo; variance: TensorInfo;
  dmean?: TensorInfo; dvariance?: TensorInfo;
}
export interface AtkdBatchNormTrainGradAttrs { varianceEpsilon: number }

export const atkdBatchNormTrainGradConfig = torchKernel<AtkdBatchNormTrainGradInputs, AtkdBatchNormTrainGradAttrs, 'dmean' | 'dvariance'>(
  ATKD_BATCH_NORM_TRAIN_GRAD,
  ({ inputs: { dy, x, scale, mean, variance, dmean, dvariance }, backend, attrs }) => {
    const ids = backend.native.batchNormTrainGrad(backend.nid(dy), backend.nid(x), backend.nid(scale), backend.nid(mean),
      backend.nid(variance), attrs.varianceEpsilon, dmean != null ? backend.nid(dmean) : 0, dvariance != null ? backend.nid(dvariance) : 0);
    return ids.map((id) => backend.out(id, 'float32'));
  });
