import { Abs } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const absConfig = unaryKernel(Abs);
