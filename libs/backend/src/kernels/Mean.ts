// Mean on wasm: over leading axes one XNNPACK average pooling; every other case is the wasm
// backend's own Mean.
import { Mean } from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { leadingReductionConfig } from './leading-reduction.js';

export const meanConfig: KernelConfig = leadingReductionConfig(Mean);
