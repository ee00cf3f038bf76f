import { Minimum } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const minimumConfig = binaryKernel(Minimum);
