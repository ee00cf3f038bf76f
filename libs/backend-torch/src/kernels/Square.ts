import { Square } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const squareConfig = unaryKernel(Square);
