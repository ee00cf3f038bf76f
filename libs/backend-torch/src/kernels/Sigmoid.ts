import { Sigmoid } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const sigmoidConfig = unaryKernel(Sigmoid);
