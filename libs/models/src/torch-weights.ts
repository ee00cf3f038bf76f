// Mapping a PyTorch state dict onto a zoo model: every tensor goes to the layer named like its
// prefix, converted to TF.js layouts (conv OIHW -> HWIO, depthwise (C,1,H,W) -> (H,W,C,1),
// linear (out,in) -> (in,out), BN weight/bias/running_mean/running_var -> gamma/beta/
// moving_mean/moving_variance; num_batches_tracked is ignored). A checkpoint that does not fit
// is rejected before any weight is touched, naming the first missing, extra or mis-shaped tensor.
import * as tf from '@tensorflow/tfjs';
import { graphToLayersModel, isDepthwise } from './build.js';
import { torchStateSpec, type GraphNode, type NetGraph } from './graph.js';
import { modelGraph } from './registry.js';
import { readTorchCheckpointFile, readTorchStateDict, type ReadStateDictOptions } from './torch/index.js';

/** The part of a state-dict tensor the mapping needs (TorchTensor from the reader fits). */
export interface StateDictTensor {
  readonly shape: readonly number[];
  readonly dtype?: string;
  readonly data: ArrayLike<number | bigint>;
}

export type StateDict = ReadonlyMap<string, StateDictTensor>;

/** A checkpoint that does not fit the architecture. */
export class CheckpointMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly model: string,
    readonly problem: 'missing' | 'extra' | 'shape' | 'dtype',
    readonly tensor: string,
    message: string,
  ) {
    super(`${file}: checkpoint does not fit ${model}: ${message}`);
    this.name = 'CheckpointMismatchError';
  }
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
const IGNORED_SUFFIX = '.num_batches_tracked';

function classifierName(g: NetGraph): string | undefined {
  const out = g.node(g.outputId);
  return out.op === 'dense' ? out.name : undefined;
}

/**
 * Check that `dict` has exactly the tensors of `g` with the right shapes (num_batches_tracked
 * may be present or not). Throws CheckpointMismatchError naming the first problem, in module
 * order for missing / mis-shaped tensors, then checkpoint order for extra ones.
 */
export function checkTorchStateDict(g: NetGraph, dict: StateDict, file = '<state dict>'): void {
  const spec = torchStateSpec(g);
  const expected = new Set(spec.map((s) => s.key));
  const missing: string[] = [];
  const misshaped: string[] = [];
  const extra: string[] = [];
  for (const s of spec) {
    const t = dict.get(s.key);
    if (!t) missing.push(s.key);
    else if (fmt(t.shape) !== fmt(s.shape)) misshaped.push(s.key);
  }
  for (const k of dict.keys()) {
    if (expected.has(k)) continue;
    if (k.endsWith(IGNORED_SUFFIX) && expected.has(`${k.slice(0, -IGNORED_SUFFIX.length)}.running_mean`)) continue;
    extra.push(k);
  }
  const total = missing.length + misshaped.length + extra.length;
  const more = total > 1 ? ` (${total} problems: ${missing.length} missing, ${extra.length} extra, ${misshaped.length} mis-shaped)` : '';
  const fc = classifierName(g);
  if (missing.length > 0) {
    const key = missing[0];
    const s = spec.find((x) => x.key === key)!;
    throw new CheckpointMismatchError(file, g.modelName, 'missing', key, `missing tensor '${key}' (expected shape ${fmt(s.shape)})${more}`);
  }
  if (misshaped.length > 0) {
    const key = misshaped[0];
    const s = spec.find((x) => x.key === key)!;
    const got = dict.get(key)!.shape;
    const hint = fc && key.startsWith(`${fc}.`) && got[0] !== s.shape[0] ? ` — the checkpoint has ${got[0]} classes; pass { classes: ${got[0]} }` : '';
    throw new CheckpointMismatchError(file, g.modelName, 'shape', key, `tensor '${key}' has shape ${fmt(got)}, expected ${fmt(s.shape)}${hint}${more}`);
  }
  if (extra.length > 0) {
    const key = extra[0];
    throw new CheckpointMismatchError(file, g.modelName, 'extra', key, `unexpected tensor '${key}' with shape ${fmt(dict.get(key)!.shape)}${more}`);
  }
  for (const s of spec) {
    const t = dict.get(s.key)!;
    if (!(t.data instanceof Float32Array) && !(t.data instanceof Float64Array)) {
      throw new CheckpointMismatchError(file, g.modelName, 'dtype', s.key, `tensor '${s.key}' has dtype ${t.dtype ?? typeof t.data}, expected a floating-point tensor`);
    }
  }
}

function floats(t: StateDictTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

/** OIHW -> HWIO. */
export function oihwToHwio(src: Float32Array, o: number, i: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let oo = 0; oo < o; oo++) {
    for (let ii = 0; ii < i; ii++) {
      for (let hh = 0; hh < h; hh++) {
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = src[((oo * i + ii) * h + hh) * w + ww];
      }
    }
  }
  return out;
}

/** Depthwise (C, 1, H, W) -> (H, W, C, 1). */
export function depthwiseToHwc1(src: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let cc = 0; cc < c; cc++) {
    for (let hh = 0; hh < h; hh++) {
      for (let ww = 0; ww < w; ww++) out[(hh * w + ww) * c + cc] = src[(cc * h + hh) * w + ww];
    }
  }
  return out;
}

/** Linear (out, in) -> (in, out). */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

/** The TF.js weight values (by weight suffix) of one graph node, from the state dict. */
function layerValues(n: GraphNode, dict: StateDict): Map<string, { shape: number[]; values: Float32Array }> {
  const get = (suffix: string): Float32Array => floats(dict.get(`${n.name}.${suffix}`)!);
  const m = new Map<string, { shape: number[]; values: Float32Array }>();
  if (n.op === 'conv') {
    const k = n.kernel;
    if (isDepthwise(n)) {
      m.set('depthwise_kernel', { shape: [k, k, n.filters, 1], values: depthwiseToHwc1(get('weight'), n.filters, k, k) });
    } else {
      const i = n.inChannels / n.groups;
      m.set('kernel', { shape: [k, k, i, n.filters], values: oihwToHwio(get('weight'), n.filters, i, k, k) });
    }
    if (n.bias) m.set('bias', { shape: [n.filters], values: get('bias') });
  } else if (n.op === 'bn') {
    m.set('gamma', { shape: [n.channels], values: get('weight') });
    m.set('beta', { shape: [n.channels], values: get('bias') });
    m.set('moving_mean', { shape: [n.channels], values: get('running_mean') });
    m.set('moving_variance', { shape: [n.channels], values: get('running_var') });
  } else if (n.op === 'dense') {
    m.set('kernel', { shape: [n.inFeatures, n.units], values: transpose2d(get('weight'), n.units, n.inFeatures) });
    m.set('bias', { shape: [n.units], values: get('bias') });
  }
  return m;
}

/**
 * Copy a (checked) state dict into a model built from `g` (e.g. by createModel): every layer with
 * parameters gets its tensors, in TF.js layout. Throws CheckpointMismatchError when it does not fit.
 */
export function applyTorchStateDict(model: tf.LayersModel, g: NetGraph, dict: StateDict, file = '<state dict>'): void {
  checkTorchStateDict(g, dict, file);
  for (const n of g.nodes) {
    if (n.op !== 'conv' && n.op !== 'bn' && n.op !== 'dense') continue;
    const layer = model.getLayer(n.name);
    const values = layerValues(n, dict);
    const tensors = layer.weights.map((w) => {
      const suffix = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const v = values.get(suffix);
      if (!v) throw new Error(`${g.modelName}: layer ${n.name} has weight ${w.originalName} with no PyTorch counterpart`);
      if (fmt(v.shape) !== fmt(w.shape as number[])) {
        throw new Error(`${g.modelName}: layer ${n.name} weight ${w.originalName} has shape ${fmt(w.shape as number[])}, mapped tensor ${fmt(v.shape)}`);
      }
      return tf.tensor(v.values, v.shape, 'float32');
    });
    if (tensors.length !== values.size) {
      tf.dispose(tensors);
      throw new Error(`${g.modelName}: layer ${n.name} has ${layer.weights.length} weights, PyTorch ${values.size}`);
    }
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

export interface LoadTorchOptions extends ReadStateDictOptions {
  /** Output classes; by default taken from the classifier tensor of the checkpoint. */
  classes?: number;
  /** Name used in error messages for in-memory bytes (default `<bytes>`). */
  file?: string;
}

/** The number of classes a state dict's classifier has, if the tensor is there. */
export function checkpointClasses(name: string, dict: StateDict): number | undefined {
  const fc = classifierName(modelGraph(name, { classes: 1 }));
  const w = fc ? dict.get(`${fc}.weight`) : undefined;
  return w && w.shape.length === 2 ? w.shape[0] : undefined;
}

/**
 * Build a model and load a state dict into it (see applyTorchStateDict). `model` is a zoo name
 * (classes from `options.classes`, else from the checkpoint's classifier) or a graph of your own
 * (e.g. `vggGraph('tiny', { cfg, batchNorm: true, classes: 10 })`).
 */
export function modelFromTorchStateDict(model: string | NetGraph, dict: StateDict, options: { classes?: number; file?: string } = {}): tf.LayersModel {
  const g = typeof model === 'string' ? modelGraph(model, { classes: options.classes ?? checkpointClasses(model, dict) ?? 100 }) : model;
  const file = options.file ?? '<state dict>';
  checkTorchStateDict(g, dict, file);
  const m = graphToLayersModel(g);
  try {
    applyTorchStateDict(m, g, dict, file);
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}

/**
 * Load a PyTorch checkpoint (`torch.save` zip format; state dict bare or under `model` / `net` /
 * `state_dict`, `module.` prefixes stripped) of zoo model `name` (or of a graph) as a tf.LayersModel.
 * @param source a file path or the file's bytes.
 */
export async function loadTorchCheckpoint(source: string | Uint8Array, name: string | NetGraph, options: LoadTorchOptions = {}): Promise<tf.LayersModel> {
  const { classes, file, ...readOptions } = options;
  const label = typeof source === 'string' ? source : (file ?? '<bytes>');
  const dict = typeof source === 'string'
    ? await readTorchCheckpointFile(source, readOptions)
    : readTorchStateDict(source, label, readOptions);
  return modelFromTorchStateDict(name, dict, { classes, file: label });
}
