// Gradients the torch engine computes with fewer, fused kernels than TF.js's composition. Each
// defers to the gradient registered before it whenever the active backend is not `torch`.
import { FusedBatchNorm, engine, getGradient, registerGradient, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';
import { ATKD_FUSED_BATCH_NORM_GRAD } from './kernels/AtkdFusedBatchNormGrad.js';

let registered = false;

/** Registers the fused FusedBatchNorm gradient (idempotent). Returns the gradients it registered. */
export function registerTorchGradients(): string[] {
  if (registered) return [FusedBatchNorm];
  const previous = getGradient(FusedBatchNorm);
  const inputsToSave = ['x', 'mean', 'variance', 'scale'];
  if (previous !== undefined && JSON.stringify(previous.inputsToSave) !== JSON.stringify(inputsToSave)) return [];
  const config: GradConfig = {
    kernelName: FusedBatchNorm,
    inputsToSave,
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved;
      if (engine().backendName !== 'torch' || mean.rank !== 1) {
        if (previous === undefined) throw new Error('no FusedBatchNorm gradient to defer to');
        return previous.gradFunc(dy, saved, attrs);
      }
      const eps = (attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
      const inputs: Record<string, Tensor> = { dy: dy as Tensor, x, mean, variance };
      if (scale != null) inputs['scale'] = scale;
      const [dx, dmean, dvariance, doffset, dscale] = engine().runKernel(ATKD_FUSED_BATCH_NORM_GRAD, inputs, { varianceEpsilon: eps }) as Tensor[];
      return { x: () => dx, mean: () => dmean, variance: () => dvariance, offset: () => doffset, scale: () => dscale };
    },
  };
  registerGradient(config);
  registered = true;
  return [FusedBatchNorm];
}
