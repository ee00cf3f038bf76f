import { GreaterEqual } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const greaterEqualConfig = binaryKernel(GreaterEqual, 'bool');
