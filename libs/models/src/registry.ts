// The model zoo registry: names as in mdistiller's `cifar_model_dict` (vgg* are the `_bn` variants,
// MobileNetV2 is `mobile_half`), plus ResNet18 which mdistiller also lists.
import type * as tf from '@tensorflow/tfjs';
import { graphToLayersModel } from './build.js';
import { graphStats, type NetGraph } from './graph.js';
import { mobileNetV2Graph } from './zoo/mobilenetv2.js';
import { cifarResNetGraph } from './zoo/resnet.js';
import { resNetV2Graph } from './zoo/resnetv2.js';
import { shuffleNetV1Graph } from './zoo/shufflenetv1.js';
import { SHUFFLENETV2_SIZES, shuffleNetV2Graph } from './zoo/shufflenetv2.js';
import { VGG_CONFIGS, vggGraph } from './zoo/vgg.js';
import { wideResNetGraph } from './zoo/wrn.js';

export type ModelFamily = 'resnet' | 'resnet_x4' | 'wrn' | 'vgg' | 'mobilenetv2' | 'shufflenetv1' | 'shufflenetv2' | 'resnetv2';

export interface ModelOptions {
  /** Number of output classes (default 100, CIFAR-100). */
  classes?: number;
}

type GraphFactory = (name: string, classes: number) => NetGraph;

const SMALL: [number, number, number, number] = [16, 16, 32, 64];
const X4: [number, number, number, number] = [32, 64, 128, 256];

const resnet = (depth: number, filters: [number, number, number, number]): GraphFactory =>
  (name, classes) => cifarResNetGraph(name, { depth, filters, classes });
const wrn = (depth: number, widen: number): GraphFactory => (name, classes) => wideResNetGraph(name, { depth, widen, classes });
const vgg = (cfg: keyof typeof VGG_CONFIGS): GraphFactory =>
  (name, classes) => vggGraph(name, { cfg: VGG_CONFIGS[cfg], batchNorm: true, classes });

const ZOO: Record<string, { family: ModelFamily; graph: GraphFactory }> = {
  resnet8: { family: 'resnet', graph: resnet(8, SMALL) },
  resnet14: { family: 'resnet', graph: resnet(14, SMALL) },
  resnet20: { family: 'resnet', graph: resnet(20, SMALL) },
  resnet32: { family: 'resnet', graph: resnet(32, SMALL) },
  resnet44: { family: 'resnet', graph: resnet(44, SMALL) },
  resnet56: { family: 'resnet', graph: resnet(56, SMALL) },
  resnet110: { family: 'resnet', graph: resnet(110, SMALL) },
  resnet8x4: { family: 'resnet_x4', graph: resnet(8, X4) },
  resnet32x4: { family: 'resnet_x4', graph: resnet(32, X4) },
  wrn_16_1: { family: 'wrn', graph: wrn(16, 1) },
  wrn_16_2: { family: 'wrn', graph: wrn(16, 2) },
  wrn_40_1: { family: 'wrn', graph: wrn(40, 1) },
  wrn_40_2: { family: 'wrn', graph: wrn(40, 2) },
  vgg8: { family: 'vgg', graph: vgg('S') },
  vgg11: { family: 'vgg', graph: vgg('A') },
  vgg13: { family: 'vgg', graph: vgg('B') },
  vgg16: { family: 'vgg', graph: vgg('D') },
  vgg19: { family: 'vgg', graph: vgg('E') },
  MobileNetV2: { family: 'mobilenetv2', graph: (name, classes) => mobileNetV2Graph(name, { expansion: 6, widthMult: 0.5, classes }) },
  ShuffleV1: {
    family: 'shufflenetv1',
    graph: (name, classes) => shuffleNetV1Graph(name, { outPlanes: [240, 480, 960], numBlocks: [4, 8, 4], groups: 3, classes }),
  },
  ShuffleV2: { family: 'shufflenetv2', graph: (name, classes) => shuffleNetV2Graph(name, { ...SHUFFLENETV2_SIZES['1'], classes }) },
  ResNet18: { family: 'resnetv2', graph: (name, classes) => resNetV2Graph(name, { block: 'basic', numBlocks: [2, 2, 2, 2], classes }) },
  ResNet50: { family: 'resnetv2', graph: (name, classes) => resNetV2Graph(name, { block: 'bottleneck', numBlocks: [3, 4, 6, 3], classes }) },
};

/** Names accepted by createModel / loadTorchCheckpoint. */
export const MODEL_NAMES: readonly string[] = Object.keys(ZOO);

function checkClasses(classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`classes must be a positive integer, got ${classes}`);
  return classes;
}

/** The architecture graph of a zoo model (framework-free: names, shapes, parameter layout). */
export function modelGraph(name: string, options: ModelOptions = {}): NetGraph {
  const entry = ZOO[name];
  if (!entry) throw new Error(`unknown model '${name}'; known models: ${MODEL_NAMES.join(', ')}`);
  return entry.graph(name, checkClasses(options.classes ?? 100));
}

/** Build a zoo model as a tf.LayersModel: input [N, 32, 32, 3] (NHWC), output logits [N, classes]. */
export function createModel(name: string, options: ModelOptions = {}): tf.LayersModel {
  return graphToLayersModel(modelGraph(name, options));
}

export interface ModelInfo {
  name: string;
  family: ModelFamily;
  /** Trainable parameters, equal to PyTorch's sum(p.numel() for p in model.parameters()). */
  params: number;
  /** Non-trainable BN running mean/var elements (PyTorch buffers, without num_batches_tracked). */
  bnBuffers: number;
  /** Multiply-accumulates of conv + linear layers per 32x32 image (FLOPs ~= 2 x MACs). */
  macs: number;
}

/** Every zoo model with its parameter count and MACs at 32x32 (computed from the graphs, no TF.js). */
export function listModels(options: ModelOptions = {}): ModelInfo[] {
  const classes = checkClasses(options.classes ?? 100);
  return MODEL_NAMES.map((name) => {
    const s = graphStats(ZOO[name].graph(name, classes));
    return { name, family: ZOO[name].family, params: s.params, bnBuffers: s.bnBuffers, macs: s.macs };
  });
}
