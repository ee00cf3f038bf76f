import { Softmax, type SoftmaxAttrs, type SoftmaxInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const softmaxConfig = torchKernel<SoftmaxInputs, SoftmaxAttrs>(Softmax, ({ inputs: { logits }, backend, attrs }) =>
  backend.out(backend.native.softmax(backend.nid(logits), attrs.dim === -1 ? logits.shape.length - 1 : attrs.dim), 'float32'));
