import { Select, type SelectInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const selectConfig = torchKernel<SelectInputs>(Select, ({ inputs: { condition, t, e }, backend }) =>
  backend.out(backend.native.select(backend.nid(condition), backend.nid(t), backend.nid(e)), t.dtype));
