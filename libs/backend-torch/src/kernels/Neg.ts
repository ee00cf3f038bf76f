import { Neg } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const negConfig = unaryKernel(Neg);
