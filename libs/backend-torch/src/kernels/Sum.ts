import { Sum } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const sumConfig = reduceKernel(Sum);
