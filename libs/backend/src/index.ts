export { initBackend, wasmBinaryDir, BACKEND_CHOICES } from './init-backend.js';
export type { BackendChoice, BackendInfo, InitBackendOptions, SkippedBackend } from './init-backend.js';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels, activeWasmTrainingKernels, atkdWasmKernels } from './kernels/register.js';
export { conv2DBackpropFilter, conv2DBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels/conv-grads.js';
export { DataParallelTrainer, shardSizes } from './data-parallel.js';
export type { DataParallelOptions, ModelBuilderRef, LossName } from './data-parallel.js';
