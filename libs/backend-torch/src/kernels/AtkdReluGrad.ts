// dy where x > 0, else 0: the ReLU gradient in one ATen pass (threshold_backward); TF.js composes
// Step + Cast + Multiply. Used by the Relu gradient in ../gradients.ts.
import { binaryKernel } from './binary.js';

export const ATKD_RELU_GRAD = 'AtkdReluGrad';
export const atkdReluGradConfig = binaryKernel(ATKD_RELU_GRAD, undefined, ['dy', 'x']);
