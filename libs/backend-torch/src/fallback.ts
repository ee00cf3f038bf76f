// Kernels the torch backend does not implement run on TF.js's `cpu` backend: inputs are copied out
// of ATen, the cpu kernel runs, outputs are copied back. The first use of each such kernel prints
// one warning naming it; `fallbackKernelsUsed()` lists them (the zoo training-step test asserts it
// stays empty).
import {
  findBackend, getKernel, getKernelsForBackend, registerKernel,
  type KernelBackend, type KernelConfig, type KernelFunc, type NamedTensorInfoMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { TorchBackend } from './backend.js';

const used = new Set<string>();
let warn: (line: string) => void = (line) => process.stderr.write(line + '\n');

/** Where the one-time fallback warnings go (default: stderr). */
export function setFallbackWarning(sink: (line: string) => void): void {
  warn = sink;
}

/** Kernels that ran on the cpu backend since the process started (or since the last reset). */
export function fallbackKernelsUsed(): string[] {
  return [...used].sort();
}

export function resetFallbackKernelsUsed(): void {
  used.clear();
}

/** Runs `kernelName` on the cpu backend for a torch call (data copied across both ways). */
export function runOnCpu(
  kernelName: string, inputs: NamedTensorInfoMap, torch: TorchBackend, attrs: unknown, reason?: string,
): TensorInfo | TensorInfo[] {
  const config = getKernel(kernelName, 'cpu');
  if (config === undefined) throw new Error(`torch kernel ${kernelName}: not implemented on torch and not on cpu either`);
  if (!used.has(kernelName)) {
    used.add(kernelName);
    warn(`[atkd/backend-torch] kernel ${kernelName} ${reason ?? 'is not implemented on torch'}; it runs on the cpu backend (data copied across)`);
  }
  const cpu = findBackend('cpu') as KernelBackend | null;
  if (cpu === null) throw new Error(`torch kernel ${kernelName}: the cpu backend for the fallback is not available`);
  // Some kernels (Pack, Concat, AddN, ...) take an array of tensors, others (Ragged*) a named array
  // of them: keep the containers' kinds. Kernels may read `rank`, as on the engine's tensors.
  const created: object[] = [];
  const copy = (t: TensorInfo): TensorInfo => {
    const dataId = cpu.write(torch.readSync(t.dataId), t.shape, t.dtype);
    created.push(dataId);
    return { dataId, shape: t.shape, dtype: t.dtype, rank: t.shape.length } as TensorInfo;
  };
  const cpuInputs = (Array.isArray(inputs) ? [] : {}) as Record<string, unknown>;
  for (const [name, t] of Object.entries(inputs as Record<string, TensorInfo | TensorInfo[] | null | undefined>)) {
    if (t == null) continue;
    cpuInputs[name] = Array.isArray(t) ? t.map(copy) : copy(t);
  }
  try {
    const out = config.kernelFunc({ inputs: cpuInputs as NamedTensorInfoMap, backend: cpu, attrs: attrs as never });
    const outs = Array.isArray(out) ? out : [out];
    const result = outs.map((o) => ({ dataId: torch.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype }));
    for (const o of outs) cpu.disposeData(o.dataId, true);
    return Array.isArray(out) ? result : result[0];
  } finally {
    for (const dataId of created) cpu.disposeData(dataId, true);
  }
}

/** Registers, for backend `torch`, a cpu fallback for every cpu kernel torch does not have. */
export function registerCpuFallbacks(): string[] {
  const added: string[] = [];
  for (const config of getKernelsForBackend('cpu')) {
    if (getKernel(config.kernelName, 'torch') !== undefined) continue;
    const name = config.kernelName;
    const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => runOnCpu(name, inputs, backend as TorchBackend, attrs);
    const fallback: KernelConfig = { kernelName: name, backendName: 'torch', kernelFunc };
    registerKernel(fallback);
    added.push(name);
  }
  return added;
}
