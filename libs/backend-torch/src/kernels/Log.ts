import { Log } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const logConfig = unaryKernel(Log);
