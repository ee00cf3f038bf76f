import { LogicalOr } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const logicalOrConfig = binaryKernel(LogicalOr, 'bool');
