import { _FusedMatMul, type _FusedMatMulAttrs, type _FusedMatMulInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const fusedMatMulConfig = torchKernel<_FusedMatMulInputs, _FusedMatMulAttrs, 'bias' | 'preluActivationWeights'>(_FusedMatMul, ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs;
  const id = backend.native.matMul(backend.nid(a), backend.nid(b), attrs.transposeA, attrs.transposeB,
    bias != null ? backend.nid(bias) : 0, attrs.activation ?? 'linear', attrs.leakyreluAlpha ?? 0.2,
    preluActivationWeights != null ? backend.nid(preluActivationWeights) : 0);
  return backend.out(id, a.dtype);
});
