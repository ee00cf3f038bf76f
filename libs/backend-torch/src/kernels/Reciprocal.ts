import { Reciprocal } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const reciprocalConfig = unaryKernel(Reciprocal);
