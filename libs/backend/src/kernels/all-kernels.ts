// The list of atkd's wasm kernels and gradients, one kernel a file (as tfjs-backend-wasm's
// register_all_kernels.ts lists its own): `register.ts` registers exactly these.
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.js';
import { fusedBatchNormGradConfig } from './FusedBatchNorm_grad.js';
import { meanConfig } from './Mean.js';
import { meanGradConfig } from './Mean_grad.js';
import { sumConfig } from './Sum.js';

/** Every kernel atkd registers on the wasm backend: missing convolution gradients and faster reductions. */
export const atkdWasmKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  sumConfig,
  meanConfig,
];

/** atkd's cheaper gradient formulas (backend-neutral: same math as TF.js's, fewer full-size passes). */
export const atkdGradients: readonly GradConfig[] = [fusedBatchNormGradConfig, meanGradConfig];
