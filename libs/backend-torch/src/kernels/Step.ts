import { Step, type StepAttrs } from '@tensorflow/tfjs-core';
import { unaryKernel } from './unary.js';

export const stepConfig = unaryKernel<StepAttrs>(Step, (a) => [a.alpha]);
