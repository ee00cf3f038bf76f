import { Floor } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const floorConfig = unaryKernel(Floor);
