import { Sin } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const sinConfig = unaryKernel(Sin);
