import { PadV2, type PadV2Attrs, type PadV2Inputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const padV2Config = torchKernel<PadV2Inputs, PadV2Attrs>(PadV2, ({ inputs: { x }, backend, attrs }) =>
  backend.out(backend.native.pad(backend.nid(x), attrs.paddings.flat(), attrs.constantValue), x.dtype));
