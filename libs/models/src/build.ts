// Turns a NetGraph into a tf.LayersModel (functional API, NHWC, 32x32x3 input).
// Layer names are the graph names, so a parameterised layer is named like its
// PyTorch module (`layer1.0.conv1`). PyTorch semantics are kept exactly:
// - padding p with stride 1 and kernel 2p+1 is TF 'same'; any other padding is an explicit
//   ZeroPadding2D (`<name>.pad`) followed by a 'valid' op (TF's 'same' pads asymmetrically
//   for stride 2, PyTorch pads symmetrically);
// - BatchNorm uses PyTorch's eps 1e-5 and momentum 0.1 (Keras momentum 0.9), and runs train mode as one
//   kernel where the backend has it (batch-norm.ts);
// - AvgPool2d(padding=p) counts the zero padding (count_include_pad=True), hence ZeroPadding2D.
import * as tf from '@tensorflow/tfjs';
import type { ConvNode, GraphNode, NetGraph } from './graph.js';
import { batchNormalization } from './batch-norm.js';
import { ChannelShuffle, ChannelSlice, GroupConv2D } from './layers.js';

/** PyTorch BatchNorm2d defaults. */
export const TORCH_BN_EPSILON = 1e-5;
export const TORCH_BN_MOMENTUM = 0.1;

function padded(x: tf.SymbolicTensor, name: string, pad: number): tf.SymbolicTensor {
  if (pad === 0) return x;
  return tf.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x) as tf.SymbolicTensor;
}

function convPadding(n: { kernel: number; stride: number; pad: number }): 'same' | 'valid' | 'explicit' {
  if (n.pad === 0) return 'valid';
  if (n.stride === 1 && n.kernel === 2 * n.pad + 1) return 'same';
  return 'explicit';
}

/** Is this conv depthwise (groups == in == out channels)? */
export function isDepthwise(n: ConvNode): boolean {
  return n.groups > 1 && n.groups === n.inChannels && n.groups === n.filters;
}

function convLayer(n: ConvNode, x: tf.SymbolicTensor): tf.SymbolicTensor {
  const mode = convPadding(n);
  const input = mode === 'explicit' ? padded(x, n.name, n.pad) : x;
  const padding = mode === 'same' ? 'same' : 'valid';
  let layer: tf.layers.Layer;
  if (n.groups === 1) {
    layer = tf.layers.conv2d({
      name: n.name, filters: n.filters, kernelSize: n.kernel, strides: n.stride, padding, useBias: n.bias,
      kernelInitializer: 'heNormal',
    });
  } else if (isDepthwise(n)) {
    layer = tf.layers.depthwiseConv2d({
      name: n.name, kernelSize: n.kernel, strides: n.stride, padding, depthMultiplier: 1, useBias: n.bias,
      depthwiseInitializer: 'heNormal',
    });
  } else {
    layer = new GroupConv2D({
      name: n.name, filters: n.filters, kernelSize: n.kernel, strides: n.stride, padding, groups: n.groups, useBias: n.bias,
    });
  }
  return layer.apply(input) as tf.SymbolicTensor;
}

function apply(n: GraphNode, xs: tf.SymbolicTensor[]): tf.SymbolicTensor {
  const x = xs[0];
  switch (n.op) {
    case 'input':
      throw new Error('input node has no layer');
    case 'conv':
      return convLayer(n, x);
    case 'bn':
      return batchNormalization({
        name: n.name, axis: -1, epsilon: TORCH_BN_EPSILON, momentum: 1 - TORCH_BN_MOMENTUM,
      }).apply(x) as tf.SymbolicTensor;
    case 'relu':
      return tf.layers.activation({ name: n.name, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    case 'add':
      return tf.layers.add({ name: n.name }).apply(xs) as tf.SymbolicTensor;
    case 'concat':
      return tf.layers.concatenate({ name: n.name, axis: -1 }).apply(xs) as tf.SymbolicTensor;
    case 'maxpool':
      return tf.layers.maxPooling2d({ name: n.name, poolSize: n.kernel, strides: n.stride, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
    case 'avgpool':
      return tf.layers.averagePooling2d({ name: n.name, poolSize: n.kernel, strides: n.stride, padding: 'valid' })
        .apply(padded(x, n.name, n.pad)) as tf.SymbolicTensor;
    case 'gap':
      return tf.layers.globalAveragePooling2d({ name: n.name }).apply(x) as tf.SymbolicTensor;
    case 'dense':
      return tf.layers.dense({ name: n.name, units: n.units, useBias: true }).apply(x) as tf.SymbolicTensor;
    case 'shuffle':
      return new ChannelShuffle({ name: n.name, groups: n.groups }).apply(x) as tf.SymbolicTensor;
    case 'slice':
      return new ChannelSlice({ name: n.name, start: n.start, size: n.size }).apply(x) as tf.SymbolicTensor;
  }
}

/** Build the TF.js model of a graph (fresh random weights; load real ones with loadTorchCheckpoint). */
export function graphToLayersModel(g: NetGraph): tf.LayersModel {
  const tensors = new Map<number, tf.SymbolicTensor>();
  let input: tf.SymbolicTensor | undefined;
  for (const n of g.nodes) {
    if (n.op === 'input') {
      if (input) throw new Error(`${g.modelName}: more than one input`);
      input = tf.input({ shape: [...n.shape], name: n.name });
      tensors.set(n.id, input);
      continue;
    }
    const xs = n.inputs.map((id) => tensors.get(id)!);
    tensors.set(n.id, apply(n, xs));
  }
  if (!input) throw new Error(`${g.modelName}: no input`);
  return tf.model({ inputs: input, outputs: tensors.get(g.outputId)!, name: g.modelName });
}
