// Sum on wasm: over leading axes (batch-norm statistics and gradients reduce [N,H,W,C] over N,H,W)
// one XNNPACK average pooling scaled by the count; every other case is the wasm backend's own Sum.
import { Sum } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { leadingReductionConfig } from './leading-reduction.js';

export const sumConfig: KernelConfig = leadingReductionConfig(Sum);
