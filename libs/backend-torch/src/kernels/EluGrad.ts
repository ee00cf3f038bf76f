import { EluGrad } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const eluGradConfig = binaryKernel(EluGrad, undefined, ['dy', 'y']);
