import { Any } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const anyConfig = reduceKernel(Any);
