import { BatchMatMul, type BatchMatMulAttrs, type BatchMatMulInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const batchMatMulConfig = torchKernel<BatchMatMulInputs, BatchMatMulAttrs>(BatchMatMul, ({ inputs: { a, b }, backend, attrs }) =>
  backend.out(backend.native.matMul(backend.nid(a), backend.nid(b), attrs.transposeA, attrs.transposeB, 0), a.dtype));
