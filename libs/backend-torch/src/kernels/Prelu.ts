import { Prelu } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const preluConfig = binaryKernel(Prelu, 'float32', ['x', 'alpha']);
