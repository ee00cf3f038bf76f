// Reductions over a set of axes (ATen's sum / mean / amax / amin / prod; All and Any on bool).
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

type ReduceInputs = { x: TensorInfo };
/** Max and Min name the axes `reductionIndices`, the others `axis`. */
type ReduceAttrs = { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };

export function reduceKernel(kernelName: string): KernelConfig {
  return torchKernel<ReduceInputs, ReduceAttrs>(kernelName, ({ inputs: { x }, backend, attrs }) => {
    const axes = util.parseAxisParam((attrs.axis ?? attrs.reductionIndices)!, x.shape);
    const outDtype = kernelName === 'Mean' ? 'float32' : x.dtype;
    return backend.out(backend.native.reduce(kernelName, backend.nid(x), axes, attrs.keepDims), outDtype);
  });
}
