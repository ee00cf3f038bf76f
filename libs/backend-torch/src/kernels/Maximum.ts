import { Maximum } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const maximumConfig = binaryKernel(Maximum);
