import { Softplus } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const softplusConfig = unaryKernel(Softplus);
