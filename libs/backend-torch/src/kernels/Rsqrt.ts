import { Rsqrt } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const rsqrtConfig = unaryKernel(Rsqrt);
