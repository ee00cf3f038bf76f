// Element-wise kernels of one tensor: one ATen call each (see `unary` in native/addon.cc).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

type UnaryInputs = { x: TensorInfo };

/** A kernel `y = f(x)`; `params` reads the numeric attrs (alpha, clip bounds) it needs. */
export function unaryKernel<A extends object = Record<string, never>>(
  kernelName: string, params?: (attrs: A) => [number, number?], outDtype?: 'bool',
): KernelConfig {
  return torchKernel<UnaryInputs, A>(kernelName, ({ inputs: { x }, backend, attrs }) => {
    const [a, b] = params ? params(attrs) : [0, 0];
    return backend.out(backend.native.unary(kernelName, backend.nid(x), a, b ?? 0), outDtype ?? x.dtype);
  });
}
