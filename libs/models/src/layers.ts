// Custom TF.js layers the CIFAR zoo needs and tfjs-layers lacks: grouped convolution
// (ShuffleNetV1's grouped 1x1 convs), channel shuffle and channel slice (ShuffleNet V1/V2).
// All are registered with tf.serialization so models that use them save and load.
import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;
type LayerShape = (number | null)[];

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function singleShape(shape: LayerShape | LayerShape[]): LayerShape {
  return Array.isArray(shape[0]) ? (shape[0] as LayerShape) : (shape as LayerShape);
}

export interface GroupConv2DArgs {
  name?: string;
  trainable?: boolean;
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'valid' | 'same';
  groups: number;
  useBias?: boolean;
}

/**
 * 2-D convolution with `groups` input/output channel groups (PyTorch `Conv2d(groups=g)`), NHWC.
 * Kernel shape [k, k, C_in / g, filters] (Keras' grouped-conv layout); output channels
 * [i * filters / g, (i + 1) * filters / g) see only input group i, as in PyTorch.
 */
export class GroupConv2D extends tf.layers.Layer {
  static readonly className = 'AtkdGroupConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly groups: number;
  readonly useBias: boolean;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.groups = args.groups;
    this.useBias = args.useBias ?? false;
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new Error(`GroupConv2D ${this.name}: filters=${this.filters} not divisible by groups=${this.groups}`);
    }
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1];
    if (channels === null || channels % this.groups !== 0) {
      throw new Error(`GroupConv2D ${this.name}: ${channels} input channels not divisible by groups=${this.groups}`);
    }
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, this.kernelSize, channels / this.groups, this.filters],
      'float32',
      tf.initializers.heNormal({ seed: undefined }),
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const [n, h, w] = singleShape(inputShape);
    const out = (size: number | null): number | null => {
      if (size === null) return null;
      return this.padding === 'same' ? Math.ceil(size / this.strides) : Math.floor((size - this.kernelSize) / this.strides) + 1;
    };
    return [n, out(h), out(w), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const xs = tf.split(x, this.groups, 3);
      const ks = tf.split(kernel, this.groups, 3);
      const ys = xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ks[i] as tf.Tensor4D, this.strides, this.padding));
      let y: tf.Tensor = ys.length === 1 ? ys[0] : tf.concat(ys, 3);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      groups: this.groups,
      useBias: this.useBias,
    };
  }
}

export interface ChannelShuffleArgs {
  name?: string;
  groups: number;
}

/**
 * ShuffleNet channel shuffle, NHWC version of PyTorch's
 * `x.reshape(N, g, C/g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)`:
 * output channel j * g + i is input channel i * (C / g) + j.
 */
export class ChannelShuffle extends tf.layers.Layer {
  static readonly className = 'AtkdChannelShuffle';
  readonly groups: number;

  constructor(args: ChannelShuffleArgs) {
    super({ name: args.name });
    this.groups = args.groups;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [n, h, w, c] = x.shape;
      if (c % this.groups !== 0) throw new Error(`ChannelShuffle ${this.name}: ${c} channels not divisible by ${this.groups}`);
      const r = tf.reshape(x, [n, h, w, this.groups, c / this.groups]);
      return tf.reshape(tf.transpose(r, [0, 1, 2, 4, 3]), [n, h, w, c]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }
}

export interface ChannelSliceArgs {
  name?: string;
  start: number;
  size: number;
}

/** Channels [start, start + size) of an NHWC tensor (PyTorch `x[:, start:start+size]`). */
export class ChannelSlice extends tf.layers.Layer {
  static readonly className = 'AtkdChannelSlice';
  readonly start: number;
  readonly size: number;

  constructor(args: ChannelSliceArgs) {
    super({ name: args.name });
    this.start = args.start;
    this.size = args.size;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const s = singleShape(inputShape);
    return [...s.slice(0, -1), this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const begin = x.shape.map((_, i) => (i === x.rank - 1 ? this.start : 0));
      const size = x.shape.map((d, i) => (i === x.rank - 1 ? this.size : d));
      return tf.slice(x, begin, size);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}

tf.serialization.registerClass(GroupConv2D);
tf.serialization.registerClass(ChannelShuffle);
tf.serialization.registerClass(ChannelSlice);
