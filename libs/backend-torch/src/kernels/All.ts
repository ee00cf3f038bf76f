import { All } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const allConfig = reduceKernel(All);
