import { Less } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const lessConfig = binaryKernel(Less, 'bool');
