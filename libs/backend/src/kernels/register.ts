// Registration of atkd's wasm training kernels (reversible, so benchmarks can compare): the kernels
// and gradients of all-kernels.ts, one kernel a file.
import { engine, getGradient, getKernel, registerGradient, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { GradConfig, KernelBackend, KernelConfig } from '@tensorflow/tfjs-core';
import { atkdGradients, atkdWasmKernels } from './all-kernels.js';

/** The wasm backend instance if it is already initialized (kernels registered later need setting up). */
export function initializedWasm(): KernelBackend | undefined {
  return (engine() as unknown as { registry: Record<string, KernelBackend | undefined> }).registry['wasm'];
}

const originals = new Map<string, KernelConfig | undefined>();
const originalGradients = new Map<string, GradConfig | undefined>();

const gradientLabel = (g: GradConfig) => `${g.kernelName} (gradient)`;

/**
 * Registers atkd's kernels for backend 'wasm' and its cheaper gradient formulas (the latter are
 * backend-neutral, same math). Idempotent. Returns what is active, e.g. 'Conv2DBackpropFilter',
 * 'FusedBatchNorm (gradient)'.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const g of atkdGradients) {
    const current = getGradient(g.kernelName) as GradConfig | undefined;
    if (current === g) continue;
    if (!originalGradients.has(g.kernelName)) originalGradients.set(g.kernelName, current);
    registerGradient(g);
  }
  for (const k of atkdWasmKernels) {
    const current = getKernel(k.kernelName, 'wasm');
    if (current === k) continue;
    if (!originals.has(k.kernelName)) originals.set(k.kernelName, current);
    if (current !== undefined) unregisterKernel(k.kernelName, 'wasm');
    registerKernel(k);
    const wasm = initializedWasm();
    if (wasm !== undefined) k.setupFunc?.(wasm);
  }
  return activeWasmTrainingKernels();
}

/** Restores the wasm backend's own kernels (or their absence), e.g. for a 'before' benchmark. */
export function unregisterWasmTrainingKernels(): void {
  for (const k of atkdWasmKernels) {
    if (getKernel(k.kernelName, 'wasm') === k) unregisterKernel(k.kernelName, 'wasm');
    const orig = originals.get(k.kernelName);
    if (orig !== undefined && getKernel(k.kernelName, 'wasm') === undefined) {
      registerKernel(orig);
      // Kernels are set up when their backend initializes; if wasm already is, set this one up now.
      const wasm = initializedWasm();
      if (wasm !== undefined) orig.setupFunc?.(wasm);
    }
  }
  for (const g of atkdGradients) {
    const orig = originalGradients.get(g.kernelName);
    if (orig !== undefined && getGradient(g.kernelName) === g) registerGradient(orig);
  }
}

/** Names of atkd kernels currently active on wasm. */
export function activeWasmTrainingKernels(): string[] {
  return [
    ...atkdWasmKernels.filter((k) => getKernel(k.kernelName, 'wasm') === k).map((k) => k.kernelName),
    ...atkdGradients.filter((g) => getGradient(g.kernelName) === g).map(gradientLabel),
  ];
}
