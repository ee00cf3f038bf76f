import { LogicalAnd } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const logicalAndConfig = binaryKernel(LogicalAnd, 'bool');
