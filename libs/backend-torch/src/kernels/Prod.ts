import { Prod } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const prodConfig = reduceKernel(Prod);
