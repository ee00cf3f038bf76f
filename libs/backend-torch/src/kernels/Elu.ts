import { Elu } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const eluConfig = unaryKernel(Elu);
