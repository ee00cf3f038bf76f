import { Transpose, type TransposeAttrs, type TransposeInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const transposeConfig = torchKernel<TransposeInputs, TransposeAttrs>(Transpose, ({ inputs: { x }, backend, attrs }) =>
  backend.out(backend.native.transpose(backend.nid(x), attrs.perm), x.dtype));
