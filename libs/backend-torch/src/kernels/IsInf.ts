import { IsInf } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const isInfConfig = unaryKernel(IsInf, undefined, 'bool');
