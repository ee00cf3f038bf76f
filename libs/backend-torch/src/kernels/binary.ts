// Element-wise kernels of two tensors with NumPy broadcasting (ATen's), one call each (see `binary`
// in native/addon.cc). Arithmetic keeps the dtype of `a` (TF.js has made the dtypes match);
// comparisons and logical kernels give bool, FloorDiv int32 (as the cpu backend).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export function binaryKernel(kernelName: string, outDtype?: 'bool' | 'int32' | 'float32', names: [string, string] = ['a', 'b']): KernelConfig {
  return torchKernel<Record<string, TensorInfo>>(kernelName, ({ inputs, backend }) => {
    const a = inputs[names[0]];
    const b = inputs[names[1]];
    return backend.out(backend.native.binary(kernelName, backend.nid(a), backend.nid(b)), outDtype ?? a.dtype);
  });
}
