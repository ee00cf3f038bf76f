import { Identity, type IdentityInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

/** Shares the data (as the cpu backend does): same shape, one more reference. */
export const identityConfig = torchKernel<IdentityInputs>(Identity, ({ inputs: { x }, backend }) => {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
});
