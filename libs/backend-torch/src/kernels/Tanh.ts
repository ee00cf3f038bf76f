import { Tanh } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const tanhConfig = unaryKernel(Tanh);
