import { Selu } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const seluConfig = unaryKernel(Selu);
