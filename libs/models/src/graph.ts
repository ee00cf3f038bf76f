// A small, framework-free description of a CIFAR network: a DAG of named nodes whose
// names are the PyTorch state-dict prefixes. The same graph drives the TF.js builder
// (build.ts), the parameter / MAC counts of the registry and the checkpoint mapping
// (checkpoint.ts), so the three can never disagree.

/** Activation shape without the batch dimension: [H, W, C] for maps, [C] for vectors. */
export type Shape = readonly number[];

export interface Ref {
  readonly id: number;
  readonly shape: Shape;
}

interface NodeBase {
  readonly id: number;
  /** Layer name; for layers with parameters this is the PyTorch state-dict prefix. */
  readonly name: string;
  readonly inputs: readonly number[];
  readonly shape: Shape;
}

export interface InputNode extends NodeBase { readonly op: 'input' }
export interface ConvNode extends NodeBase {
  readonly op: 'conv';
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  /** Symmetric zero padding, as PyTorch's `padding=`. */
  readonly pad: number;
  readonly groups: number;
  readonly bias: boolean;
  readonly inChannels: number;
}
export interface BatchNormNode extends NodeBase { readonly op: 'bn'; readonly channels: number }
export interface ReluNode extends NodeBase { readonly op: 'relu' }
export interface AddNode extends NodeBase { readonly op: 'add' }
export interface ConcatNode extends NodeBase { readonly op: 'concat' }
export interface MaxPoolNode extends NodeBase { readonly op: 'maxpool'; readonly kernel: number; readonly stride: number }
/** PyTorch AvgPool2d with count_include_pad=True (zero padding counts in the mean). */
export interface AvgPoolNode extends NodeBase { readonly op: 'avgpool'; readonly kernel: number; readonly stride: number; readonly pad: number }
/** Average over the whole map followed by flatten ([H, W, C] -> [C]). */
export interface GlobalPoolNode extends NodeBase { readonly op: 'gap' }
export interface DenseNode extends NodeBase { readonly op: 'dense'; readonly units: number; readonly inFeatures: number }
/** PyTorch ShuffleBlock: reshape (g, C/g) -> transpose -> flatten over channels. */
export interface ShuffleNode extends NodeBase { readonly op: 'shuffle'; readonly groups: number }
/** Channels [start, start + size) of the input. */
export interface SliceNode extends NodeBase { readonly op: 'slice'; readonly start: number; readonly size: number }

export type GraphNode =
  | InputNode | ConvNode | BatchNormNode | ReluNode | AddNode | ConcatNode | MaxPoolNode
  | AvgPoolNode | GlobalPoolNode | DenseNode | ShuffleNode | SliceNode;

export interface ConvOptions {
  kernel: number;
  stride?: number;
  pad?: number;
  groups?: number;
  bias?: boolean;
}

function poolOut(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** Builder of a network graph with shape inference. */
export class NetGraph {
  readonly nodes: GraphNode[] = [];
  private readonly names = new Set<string>();
  private output: number | undefined;

  constructor(readonly modelName: string) {}

  private add<T extends GraphNode>(node: T): Ref {
    if (this.names.has(node.name)) throw new Error(`${this.modelName}: duplicate layer name '${node.name}'`);
    this.names.add(node.name);
    this.nodes.push(node);
    return { id: node.id, shape: node.shape };
  }

  private map(x: Ref, what: string): readonly [number, number, number] {
    if (x.shape.length !== 3) throw new Error(`${this.modelName}: ${what} needs an [H, W, C] input, got [${x.shape.join(', ')}]`);
    return [x.shape[0], x.shape[1], x.shape[2]];
  }

  input(shape: Shape, name = 'input'): Ref {
    return this.add({ op: 'input', id: this.nodes.length, name, inputs: [], shape: [...shape] });
  }

  conv(x: Ref, name: string, filters: number, o: ConvOptions): Ref {
    const [h, w, c] = this.map(x, name);
    const stride = o.stride ?? 1;
    const pad = o.pad ?? 0;
    const groups = o.groups ?? 1;
    if (c % groups !== 0 || filters % groups !== 0) {
      throw new Error(`${this.modelName}: ${name}: ${c} -> ${filters} channels not divisible by groups=${groups}`);
    }
    const shape = [poolOut(h, o.kernel, stride, pad), poolOut(w, o.kernel, stride, pad), filters];
    return this.add({
      op: 'conv', id: this.nodes.length, name, inputs: [x.id], shape,
      filters, kernel: o.kernel, stride, pad, groups, bias: o.bias ?? false, inChannels: c,
    });
  }

  bn(x: Ref, name: string): Ref {
    const c = x.shape[x.shape.length - 1];
    return this.add({ op: 'bn', id: this.nodes.length, name, inputs: [x.id], shape: x.shape, channels: c });
  }

  relu(x: Ref, name: string): Ref {
    return this.add({ op: 'relu', id: this.nodes.length, name, inputs: [x.id], shape: x.shape });
  }

  sum(a: Ref, b: Ref, name: string): Ref {
    if (a.shape.join() !== b.shape.join()) {
      throw new Error(`${this.modelName}: ${name}: cannot add [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    }
    return this.add({ op: 'add', id: this.nodes.length, name, inputs: [a.id, b.id], shape: a.shape });
  }

  concat(xs: readonly Ref[], name: string): Ref {
    const [h, w] = this.map(xs[0], name);
    let c = 0;
    for (const x of xs) {
      const [hx, wx, cx] = this.map(x, name);
      if (hx !== h || wx !== w) throw new Error(`${this.modelName}: ${name}: concat of different spatial sizes`);
      c += cx;
    }
    return this.add({ op: 'concat', id: this.nodes.length, name, inputs: xs.map((x) => x.id), shape: [h, w, c] });
  }

  maxPool(x: Ref, name: string, kernel: number, stride = kernel): Ref {
    const [h, w, c] = this.map(x, name);
    const shape = [poolOut(h, kernel, stride, 0), poolOut(w, kernel, stride, 0), c];
    return this.add({ op: 'maxpool', id: this.nodes.length, name, inputs: [x.id], shape, kernel, stride });
  }

  avgPool(x: Ref, name: string, kernel: number, stride = kernel, pad = 0): Ref {
    const [h, w, c] = this.map(x, name);
    const shape = [poolOut(h, kernel, stride, pad), poolOut(w, kernel, stride, pad), c];
    return this.add({ op: 'avgpool', id: this.nodes.length, name, inputs: [x.id], shape, kernel, stride, pad });
  }

  /**
   * PyTorch `avg_pool2d(x, kernel)` (or adaptive 1x1 pooling) + reshape to [N, C]; the pooling window
   * must cover the whole map (true for every CIFAR model here at 32x32 input).
   */
  globalPool(x: Ref, name: string, kernel?: number): Ref {
    const [h, w, c] = this.map(x, name);
    if (kernel !== undefined && (kernel !== h || kernel !== w)) {
      throw new Error(`${this.modelName}: ${name}: pooling window ${kernel} does not reduce a ${h}x${w} map to 1x1`);
    }
    return this.add({ op: 'gap', id: this.nodes.length, name, inputs: [x.id], shape: [c] });
  }

  dense(x: Ref, name: string, units: number): Ref {
    if (x.shape.length !== 1) throw new Error(`${this.modelName}: ${name}: dense needs a vector input`);
    return this.add({ op: 'dense', id: this.nodes.length, name, inputs: [x.id], shape: [units], units, inFeatures: x.shape[0] });
  }

  shuffle(x: Ref, name: string, groups: number): Ref {
    const [, , c] = this.map(x, name);
    if (c % groups !== 0) throw new Error(`${this.modelName}: ${name}: ${c} channels not divisible by ${groups} groups`);
    return this.add({ op: 'shuffle', id: this.nodes.length, name, inputs: [x.id], shape: x.shape, groups });
  }

  slice(x: Ref, name: string, start: number, size: number): Ref {
    const [h, w, c] = this.map(x, name);
    if (start < 0 || size <= 0 || start + size > c) throw new Error(`${this.modelName}: ${name}: channel slice out of range`);
    return this.add({ op: 'slice', id: this.nodes.length, name, inputs: [x.id], shape: [h, w, size], start, size });
  }

  setOutput(x: Ref): void {
    this.output = x.id;
  }

  get outputId(): number {
    if (this.output === undefined) throw new Error(`${this.modelName}: graph has no output`);
    return this.output;
  }

  node(id: number): GraphNode {
    return this.nodes[id];
  }
}

/** One tensor of the PyTorch state dict that a graph expects. */
export interface TorchTensorSpec {
  /** e.g. `layer1.0.conv1.weight` */
  readonly key: string;
  readonly shape: readonly number[];
  /** Trainable parameter (weight/bias) or buffer (BN running statistics). */
  readonly kind: 'param' | 'buffer';
  readonly layer: string;
}

/** The state-dict entries the PyTorch module would have, in module order (num_batches_tracked excluded). */
export function torchStateSpec(g: NetGraph): TorchTensorSpec[] {
  const out: TorchTensorSpec[] = [];
  for (const n of g.nodes) {
    if (n.op === 'conv') {
      out.push({ key: `${n.name}.weight`, shape: [n.filters, n.inChannels / n.groups, n.kernel, n.kernel], kind: 'param', layer: n.name });
      if (n.bias) out.push({ key: `${n.name}.bias`, shape: [n.filters], kind: 'param', layer: n.name });
    } else if (n.op === 'bn') {
      out.push({ key: `${n.name}.weight`, shape: [n.channels], kind: 'param', layer: n.name });
      out.push({ key: `${n.name}.bias`, shape: [n.channels], kind: 'param', layer: n.name });
      out.push({ key: `${n.name}.running_mean`, shape: [n.channels], kind: 'buffer', layer: n.name });
      out.push({ key: `${n.name}.running_var`, shape: [n.channels], kind: 'buffer', layer: n.name });
    } else if (n.op === 'dense') {
      out.push({ key: `${n.name}.weight`, shape: [n.units, n.inFeatures], kind: 'param', layer: n.name });
      out.push({ key: `${n.name}.bias`, shape: [n.units], kind: 'param', layer: n.name });
    }
  }
  return out;
}

export interface GraphStats {
  /** Trainable parameters (what `sum(p.numel() for p in model.parameters())` gives in PyTorch). */
  params: number;
  /** BN running mean + var elements (non-trainable; PyTorch also keeps one num_batches_tracked per BN). */
  bnBuffers: number;
  /** Number of BatchNorm layers. */
  bnLayers: number;
  /** Multiply-accumulates of conv and linear layers for one 32x32 image (BN, ReLU, add, pooling not counted). */
  macs: number;
}

export function graphStats(g: NetGraph): GraphStats {
  let params = 0;
  let bnBuffers = 0;
  let bnLayers = 0;
  let macs = 0;
  for (const n of g.nodes) {
    if (n.op === 'conv') {
      const perOut = (n.inChannels / n.groups) * n.kernel * n.kernel;
      params += n.filters * perOut + (n.bias ? n.filters : 0);
      macs += n.shape[0] * n.shape[1] * n.filters * perOut;
    } else if (n.op === 'bn') {
      params += 2 * n.channels;
      bnBuffers += 2 * n.channels;
      bnLayers += 1;
    } else if (n.op === 'dense') {
      params += n.units * n.inFeatures + n.units;
      macs += n.units * n.inFeatures;
    }
  }
  return { params, bnBuffers, bnLayers, macs };
}
