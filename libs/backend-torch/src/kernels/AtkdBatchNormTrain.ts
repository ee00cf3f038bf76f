// Train-mode batch norm in one ATen call: y, and the batch mean and (biased) variance the layer
// needs for its moving averages. @atkd/models' BatchNormalization runs it (by this kernel name) in
// training when the active backend registers it; its gradient (../gradients.ts) is one
// AtkdBatchNormTrainGrad call, where TF.js's `moments` + FusedBatchNorm composition takes ~10
// full-activation passes.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

/** The kernel's name; @atkd/models names it too (BATCH_NORM_TRAIN_KERNEL there). */
export const ATKD_BATCH_NORM_TRAIN = 'AtkdBatchNormTrain';

/** x: [..., C] (rank 4 NHWC or rank 2); scale, offset: [C]. */
export interface AtkdBatchNormTrainInputs { x: TensorInfo; scale: TensorInfo; offset: TensorInfo }
export interface AtkdBatchNormTrainAttrs { varianceEpsilon: number }

/** Outputs [y, mean, variance]: mean and variance [C], the variance divided by N (TF.js's `moments`). */
export const atkdBatchNormTrainConfig = torchKernel<AtkdBatchNormTrainInputs, AtkdBatchNormTrainAttrs>(ATKD_BATCH_NORM_TRAIN,
  ({ inputs: { x, scale, offset }, backend, attrs }) => {
    const ids = backend.native.batchNormTrain(backend.nid(x), backend.nid(scale), backend.nid(offset), attrs.varianceEpsilon);
    return ids.map((id) => backend.out(id, 'float32'));
  });
