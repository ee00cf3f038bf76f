import { SquaredDifference } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const squaredDifferenceConfig = binaryKernel(SquaredDifference);
