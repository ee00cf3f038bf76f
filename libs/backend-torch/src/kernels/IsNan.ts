import { IsNan } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const isNanConfig = unaryKernel(IsNan, undefined, 'bool');
