// @atkd/backend-torch: importing it registers the TF.js backend `torch` (when the addon was built).
import { registerTorchBackend } from './register.js';

registerTorchBackend();

export {
  registerTorchBackend, torchAvailable, torchVersion, setTorchThreads, torchThreads, torchHeapPolicy, nativeTensorCount,
  torchKernelNames, torchFallbackKernelNames, useTorch, TORCH_PRIORITY,
} from './register.js';
export { torchUnavailable, applyOmpWaitPolicy, DEFAULT_GOMP_SPINCOUNT, type TorchNative } from './native.js';
export { TorchBackend, type TorchMemoryInfo } from './backend.js';
export { torchFusedGradients } from './gradients.js';
export { fallbackKernelsUsed, resetFallbackKernelsUsed, setFallbackWarning } from './fallback.js';
export { threadsFrom } from './threads.js';
