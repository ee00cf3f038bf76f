import { Expm1 } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const expm1Config = unaryKernel(Expm1);
