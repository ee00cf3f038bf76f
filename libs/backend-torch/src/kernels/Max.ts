import { Max } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const maxConfig = reduceKernel(Max);
