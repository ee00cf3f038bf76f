import { Pow } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const powConfig = binaryKernel(Pow);
