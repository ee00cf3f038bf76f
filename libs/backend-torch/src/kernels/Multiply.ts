import { Multiply } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const mulConfig = binaryKernel(Multiply);
