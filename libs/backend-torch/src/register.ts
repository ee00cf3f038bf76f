// Registers the `torch` backend with TF.js: its kernels, its fused gradients, a cpu fallback for
// every other kernel, and the backend factory. Does nothing (and says why) without the addon.
import { registerBackend, registerKernel, getKernel, findBackend, setBackend, type KernelConfig } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TorchBackend } from './backend.js';
import { registerCpuFallbacks } from './fallback.js';
import { registerTorchGradients } from './gradients.js';
import { torchKernelConfigs } from './kernel-list.js';
import { loadNative, torchUnavailable, type TorchNative } from './native.js';
import { threadsFrom } from './threads.js';

/** Priority of `torch` among TF.js backends (tfjs-node's is 3, wasm's 2, cpu's 1). */
export const TORCH_PRIORITY = 3;

let registered = false;
let fallbacks: string[] = [];

function native(): TorchNative {
  const n = loadNative();
  if (n === null) throw new Error(torchUnavailable() ?? '@atkd/backend-torch is not available');
  return n;
}

/** Registers backend `torch`; returns false (see `torchUnavailable()`) when the addon is missing. */
export function registerTorchBackend(): boolean {
  if (registered) {
    registerTorchGradients(); // again, in case a later import replaced them
    return true;
  }
  const n = loadNative();
  if (n === null) return false;
  for (const config of torchKernelConfigs) {
    if (getKernel(config.kernelName, 'torch') === undefined) registerKernel(config as KernelConfig);
  }
  registerTorchGradients();
  fallbacks = registerCpuFallbacks();
  registerBackend('torch', () => new TorchBackend(n), TORCH_PRIORITY);
  n.setThreads(threadsFrom(undefined));
  registered = true;
  return true;
}

/** Whether the torch engine can be used in this process. */
export function torchAvailable(): boolean {
  return loadNative() !== null;
}

/** libtorch's version (e.g. '1.13.0'). */
export function torchVersion(): string {
  return native().version();
}

/** Sets ATen's intra-op threads for this thread; returns the count now in effect. */
export function setTorchThreads(n: number): number {
  return native().setThreads(n);
}

/** ATen's intra-op threads in this thread. */
export function torchThreads(): number {
  return native().threads();
}

/** How this process's heap keeps tensor memory: glibc malloc thresholds set when the addon loaded (ATKD_TORCH_MALLOPT=0 keeps glibc's defaults). */
export function torchHeapPolicy(): string {
  return native().heapPolicy();
}

/** Tensors the addon holds in this thread (every live torch tensor is one). */
export function nativeTensorCount(): number {
  return native().count();
}

/** Kernels implemented with ATen (not the cpu fallbacks). */
export function torchKernelNames(): string[] {
  return torchKernelConfigs.map((c) => c.kernelName).sort();
}

/** Kernels registered as cpu fallbacks for backend `torch`. */
export function torchFallbackKernelNames(): string[] {
  return [...fallbacks].sort();
}

/** Activates `torch` (registering it first); rejects with the reason when it is not available. */
export async function useTorch(): Promise<void> {
  if (!registerTorchBackend()) throw new Error(torchUnavailable() ?? '@atkd/backend-torch is not available');
  if (findBackend('torch') === null && !(await setBackend('torch'))) throw new Error('the torch backend failed to initialize');
  if (!(await setBackend('torch'))) throw new Error('the torch backend failed to initialize');
}
