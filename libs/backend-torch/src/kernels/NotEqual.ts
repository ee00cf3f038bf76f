import { NotEqual } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const notEqualConfig = binaryKernel(NotEqual, 'bool');
