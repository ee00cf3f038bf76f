import { Exp } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const expConfig = unaryKernel(Exp);
