export { initBackend, wasmBinaryDir, BACKEND_CHOICES } from './init-backend.js';
export { wasmThreadsFrom, wasmThreads, unrefWasmWorkers, MAX_WASM_THREADS } from './wasm-threads.js';
export type { BackendChoice, BackendInfo, InitBackendOptions, SkippedBackend } from './init-backend.js';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels, activeWasmTrainingKernels, atkdWasmKernels } from './kernels/register.js';
export { conv2DBackpropFilter, conv2DBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels/conv-grads.js';
export { DataParallelTrainer, shardSizes } from './data-parallel.js';
export type { DataParallelOptions, ModelBuilderRef, LossName } from './data-parallel.js';
