import { Sign } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const signConfig = unaryKernel(Sign);
