import { Mean } from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce.js';

export const meanConfig = reduceKernel(Mean);
