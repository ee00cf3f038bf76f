import { LeakyRelu, type LeakyReluAttrs } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const leakyReluConfig = unaryKernel<LeakyReluAttrs>(LeakyRelu, (a) => [a.alpha]);
