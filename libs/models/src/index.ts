// @atkd/models: the CIFAR model zoo, PyTorch checkpoint import and TF.js layers-format save/load.
export { MODEL_NAMES, createModel, listModels, modelGraph, type ModelFamily, type ModelInfo, type ModelOptions } from './registry.js';
export { graphToLayersModel, isDepthwise, TORCH_BN_EPSILON, TORCH_BN_MOMENTUM } from './build.js';
export { NetGraph, graphStats, torchStateSpec, type GraphNode, type GraphStats, type Ref, type Shape, type TorchTensorSpec } from './graph.js';
export { BATCH_NORM_TRAIN_KERNEL, BatchNormalization, batchNormalization, fusedBatchNormActive } from './batch-norm.js';
export { ChannelShuffle, ChannelSlice, GroupConv2D } from './layers.js';
export { cifarResNetGraph, type CifarResNetConfig } from './zoo/resnet.js';
export { resNetV2Graph, type ResNetV2Config } from './zoo/resnetv2.js';
export { wideResNetGraph, type WideResNetConfig } from './zoo/wrn.js';
export { VGG_CONFIGS, vggGraph, type VggConfig, type VggGraphConfig } from './zoo/vgg.js';
export { mobileNetV2Graph, type MobileNetV2Config } from './zoo/mobilenetv2.js';
export { shuffleNetV1Graph, type ShuffleNetV1Config } from './zoo/shufflenetv1.js';
export { SHUFFLENETV2_SIZES, shuffleNetV2Graph, type ShuffleNetV2Config } from './zoo/shufflenetv2.js';
export {
  CheckpointMismatchError, applyTorchStateDict, checkTorchStateDict, checkpointClasses, depthwiseToHwc1, loadTorchCheckpoint,
  modelFromTorchStateDict, oihwToHwio, transpose2d, type LoadTorchOptions, type StateDict, type StateDictTensor,
} from './torch-weights.js';
export { MODEL_JSON, WEIGHTS_BIN, WEIGHTS_CRC32, crc32Hex, fileSystemHandler, loadModel, saveModel } from './io.js';
export { loadAnyModel, type LoadAnyModelOptions } from './load-any.js';
export * from './torch/index.js';
