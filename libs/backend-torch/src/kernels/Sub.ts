import { Sub } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const subConfig = binaryKernel(Sub);
