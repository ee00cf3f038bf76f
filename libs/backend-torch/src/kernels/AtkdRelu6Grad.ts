// dy where 0 < x <= 6, else 0: the ReLU6 gradient in one pass (TF.js: LessEqual, Step, Multiply,
// Cast, Multiply). Used by the Relu6 gradient in ../gradients.ts.
import { binaryKernel } from './binary.js';

export const ATKD_RELU6_GRAD = 'AtkdRelu6Grad';
export const atkdRelu6GradConfig = binaryKernel(ATKD_RELU6_GRAD, undefined, ['dy', 'x']);
