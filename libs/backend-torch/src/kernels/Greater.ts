import { Greater } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const greaterConfig = binaryKernel(Greater, 'bool');
