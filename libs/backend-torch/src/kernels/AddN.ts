import { AddN, type AddNInputs, type TensorInfo } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const addNConfig = torchKernel<AddNInputs>(AddN, ({ inputs, backend }) => {
  const xs = Object.values(inputs) as TensorInfo[];
  return backend.out(backend.native.addN(xs.map((t) => backend.nid(t))), xs[0].dtype);
});
