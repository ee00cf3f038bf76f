import { Cos } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const cosConfig = unaryKernel(Cos);
