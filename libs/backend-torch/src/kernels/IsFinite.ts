import { IsFinite } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const isFiniteConfig = unaryKernel(IsFinite, undefined, 'bool');
