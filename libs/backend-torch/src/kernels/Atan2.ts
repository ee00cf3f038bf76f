import { Atan2 } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const atan2Config = binaryKernel(Atan2);
