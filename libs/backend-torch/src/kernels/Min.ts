import { Min } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const minConfig = reduceKernel(Min);
