import { Ceil } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const ceilConfig = unaryKernel(Ceil);
