import { Mod } from '@tensorflow/tfjs-core';
import { binaryKernel } from './binary.js';

export const modConfig = binaryKernel(Mod);
