// Messages between DataParallelTrainer (main thread) and its workers.
import type { BackendChoice } from './init-backend.js';

/** A module that builds the (same) model in every thread: `import(module)[exportName](args)`. */
export interface ModelBuilderRef {
  /** Absolute file path or file:// URL of an ES module. */
  module: string;
  /** Name of the exported builder function (default 'default'). */
  exportName?: string;
  /** Structured-cloneable argument passed to the builder. */
  args?: unknown;
}

export type LossName = 'softmaxCrossEntropy' | 'meanSquaredError';

export interface InitMessage {
  type: 'init';
  builder: ModelBuilderRef;
  backend: BackendChoice;
  loss: LossName;
}

export interface StepMessage {
  type: 'step';
  /** Every model weight (model.weights order), current values. */
  weights: Float32Array[];
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
}

export type ToWorker = InitMessage | StepMessage | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; shapes: number[][]; trainable: boolean[]; backend: string }
  | { type: 'grads'; loss: number; grads: Float32Array[]; nonTrainable: Float32Array[] }
  | { type: 'error'; message: string };
