import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { MODEL_JSON, loadModel } from './io.js';
import { MODEL_NAMES, createModel } from './registry.js';
import { loadTorchCheckpoint } from './torch-weights.js';

export interface LoadAnyModelOptions {
  /** Zoo architecture of a PyTorch checkpoint (required for `.pth` / `.pt` files). */
  arch?: string;
  /** Output classes (default 100). */
  classes?: number;
}

/**
 * Any model from `spec`: a directory holding a TF.js layers `model.json` (+ weights), that `model.json`,
 * a PyTorch checkpoint (`.pth` / `.pt`, architecture from `options.arch`, e.g. `resnet32x4`), or a zoo
 * model name (randomly initialised: useful for tests and benchmarks only). Errors name the path.
 */
export async function loadAnyModel(spec: string, options: LoadAnyModelOptions = {}): Promise<tf.LayersModel> {
  const info = await stat(spec).catch(() => null);
  if (info?.isDirectory()) {
    const json = join(spec, MODEL_JSON);
    if ((await stat(json).catch(() => null)) === null) throw new Error(`${spec}: no ${MODEL_JSON} in this directory; expected a TF.js layers model directory (${MODEL_JSON} + weights.bin, e.g. a run's checkpoints/best), a run directory, or a PyTorch checkpoint (.pth)`);
    return loadModel(spec);
  }
  if (info?.isFile()) {
    if (/\.(pth|pt|tar)$/i.test(spec)) {
      if (options.arch === undefined) throw new Error(`${spec}: a PyTorch checkpoint needs its architecture (arch: one of ${MODEL_NAMES.join(', ')})`);
      return loadTorchCheckpoint(spec, options.arch, { classes: options.classes });
    }
    if (spec.endsWith(MODEL_JSON)) return loadModel(join(spec, '..'));
    throw new Error(`${spec}: not a model directory, model.json or PyTorch checkpoint (.pth/.pt)`);
  }
  if (MODEL_NAMES.includes(spec)) return createModel(spec, { classes: options.classes });
  throw new Error(`${spec}: no such file or directory, and not a zoo model name (${MODEL_NAMES.join(', ')})`);
}
