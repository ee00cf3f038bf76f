import { Log1p } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const log1pConfig = unaryKernel(Log1p);
