import { ClipByValue, type ClipByValueAttrs } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const clipByValueConfig = unaryKernel<ClipByValueAttrs>(ClipByValue, (a) => [a.clipValueMin, a.clipValueMax]);
