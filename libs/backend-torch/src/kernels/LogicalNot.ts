import { LogicalNot } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const logicalNotConfig = unaryKernel(LogicalNot, undefined, 'bool');
