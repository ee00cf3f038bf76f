// How a torch kernel is declared: typed inputs and attrs, errors that name the kernel, and the cpu
// fallback for dtypes ATen does not hold here (string, complex64) or cases a kernel declines.
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { TorchBackend } from '../backend.js';
import { runOnCpu } from '../fallback.js';

/** Returned by a kernel body to hand the call to the cpu backend, with the reason. */
export class Decline {
  constructor(readonly reason: string) {}
}

/** A kernel's inputs with the required ones present (TF.js types every input as optional). */
export type Inputs<I, Opt extends keyof I = never> =
  { [K in Exclude<keyof I, Opt>]-?: NonNullable<I[K]> } & { [K in Opt]?: I[K] | null };

export interface TorchKernelArgs<I, A, Opt extends keyof I = never> {
  inputs: Inputs<I, Opt>;
  backend: TorchBackend;
  attrs: A;
}

export function torchKernel<I extends object, A extends object = Record<string, never>, Opt extends keyof I = never>(
  kernelName: string,
  body: (args: TorchKernelArgs<I, A, Opt>) => TensorInfo | TensorInfo[] | Decline,
): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const torch = backend as TorchBackend;
    const named = inputs as NamedTensorInfoMap;
    if (!torch.holdsNatively(Object.values(named))) {
      return runOnCpu(kernelName, named, torch, attrs, 'has no torch version for string/complex64 tensors');
    }
    let result: TensorInfo | TensorInfo[] | Decline;
    try {
      result = body({ inputs: inputs as unknown as Inputs<I, Opt>, backend: torch, attrs: (attrs ?? {}) as unknown as A });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`torch kernel ${kernelName}: ${message}`, { cause: e });
    }
    if (result instanceof Decline) return runOnCpu(kernelName, named, torch, attrs, result.reason);
    return result;
  };
  return { kernelName, backendName: 'torch', kernelFunc };
}

export type { NamedAttrMap };
