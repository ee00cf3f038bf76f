// PyTorch checkpoint import for atkd: reads torch.save files (the zip format of torch >= 1.6) in plain
// TypeScript — a zip reader, a pickle VM for the subset torch writes, and tensor materialisation.
// No Python at run time; nothing from the checkpoint is ever executed (globals are allow-listed).
export { TorchCheckpointError } from './errors.js';
export {
  readTorchStateDict,
  readTorchCheckpointFile,
  readTorchCheckpoint,
  extractStateDict,
  type ReadTorchOptions,
  type ReadStateDictOptions,
  type TorchCheckpoint,
} from './checkpoint.js';
export { TorchTensorRef, TorchStorage, type TorchTensor, type TorchTensorData, type TorchDType } from './tensor.js';
export { PyDict, PyTuple, PyObject, PyGlobal, PyCallable, unpickle, type PyValue, type UnpickleOptions } from './pickle.js';
export { readZip, type ZipArchive, type ZipEntry } from './zip.js';
