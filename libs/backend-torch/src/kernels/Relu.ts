import { Relu } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const reluConfig = unaryKernel(Relu);
