import { Sqrt } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const sqrtConfig = unaryKernel(Sqrt);
