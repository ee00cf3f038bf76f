import { Equal } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const equalConfig = binaryKernel(Equal, 'bool');
