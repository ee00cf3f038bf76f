import { FloorDiv } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const floorDivConfig = binaryKernel(FloorDiv, 'int32');
