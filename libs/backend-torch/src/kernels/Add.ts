import { Add } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const addConfig = binaryKernel(Add);
