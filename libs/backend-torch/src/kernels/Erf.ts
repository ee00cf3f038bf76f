import { Erf } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const erfConfig = unaryKernel(Erf);
