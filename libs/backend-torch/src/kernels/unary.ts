// Element-wise kernels of one tensor: one ATen call each (see `unary` in native/addon.cc).
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

type UnaryInputs = { x: TensorInfo };

/** Kernels whose result is float32 whatever the input dtype (as TF.js's cpu kernels). */
const FLOAT_VALUED = new Set(['Exp', 'Expm1', 'Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Erf',
  'Softplus', 'Elu', 'Selu', 'LeakyRelu']);

/** A kernel `y = f(x)`; `params` reads the numeric attrs (alpha, clip bounds) it needs. */
export function unaryKernel<A extends object = Record<string, never>>(
  kernelName: string, params?: (attrs: A) => [number, number?], outDtype?: 'bool',
): KernelConfig {
  return torchKernel<UnaryInputs, A>(kernelName, ({ inputs: { x }, backend, attrs }) => {
    const [a, b] = params ? params(attrs) : [0, 0];
    const dtype = outDtype ?? (FLOAT_VALUED.has(kernelName) ? 'float32' : x.dtype);
    return backend.out(backend.native.unary(kernelName, backend.nid(x), a, b ?? 0), dtype);
  });
}
