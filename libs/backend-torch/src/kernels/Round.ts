import { Round } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const roundConfig = unaryKernel(Round);
