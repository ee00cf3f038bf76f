// The PyTorch checkpoint parity suite again on the torch engine (@atkd/backend-torch, TF.js on
// libtorch's kernels): same fixtures, same 1e-4 bound. Skipped, with the reason, without libtorch.
import { describe, it } from 'vitest';
import { torchUnavailable } from '@atkd/backend-torch';

const why = torchUnavailable();
if (why === null) {
  process.env.ATKD_MODELS_BACKEND = 'torch';
  await import('./parity.test.js');
} else {
  describe('PyTorch parity on the torch backend', () => {
    it.skip(`skipped: ${why}`, () => undefined);
  });
}
