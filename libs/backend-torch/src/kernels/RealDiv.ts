import { RealDiv } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const realDivConfig = binaryKernel(RealDiv);
