import { LessEqual } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const lessEqualConfig = binaryKernel(LessEqual, 'bool');
