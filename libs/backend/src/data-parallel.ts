// Synchronous data-parallel training over worker_threads: every step splits the batch into
// shards, the main thread and each worker (own TF.js/wasm instance) compute the mean loss and
// gradients of their shard, and the main thread applies the shard-size-weighted average with its
// optimizer. Without batch-norm this equals the single-process full-batch step up to float error;
// batch-norm layers normalize with per-shard statistics (like PyTorch DDP without SyncBatchNorm),
// and their moving statistics are averaged after each step.
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from './init-backend.js';
import { lossFor, shardGradients } from './dp-shared.js';
import type { FromWorker, LossName, ModelBuilderRef, ToWorker } from './dp-protocol.js';

export type { ModelBuilderRef, LossName } from './dp-protocol.js';

export interface DataParallelOptions {
  /** The main thread's model (the one that is trained). */
  model: tf.LayersModel;
  /** How each worker builds an identical model (same weight shapes and order). */
  builder: ModelBuilderRef;
  optimizer: tf.Optimizer;
  /** Number of extra worker threads (the main thread computes a shard too). Default 1. */
  workers?: number;
  loss?: LossName;
  /** Backend the workers use (default 'wasm'). */
  backend?: BackendChoice;
}

/** Splits n rows into k contiguous shards whose sizes differ by at most one. */
export function shardSizes(n: number, k: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`batch size must be a positive integer, got ${n}`);
  const parts = Math.min(k, n);
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

function workerUrl(): URL {
  // Built: dist/dp-worker.js sits next to this file. From sources (tests): use the built worker.
  const here = new URL('./dp-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/dp-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`@atkd/backend: worker script not found (${fileURLToPath(here)}); run 'nx run backend:build' first`);
}

interface Pending { resolve: (m: FromWorker) => void; reject: (e: Error) => void }

class WorkerHandle {
  private pending: Pending | null = null;
  private failed: Error | null = null;
  constructor(readonly worker: Worker, readonly index: number) {
    worker.on('message', (m: FromWorker) => {
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      if (m.type === 'error') p.reject(new Error(`data-parallel worker ${index}: ${m.message}`));
      else p.resolve(m);
    });
    worker.on('error', (e) => this.fail(new Error(`data-parallel worker ${index} crashed: ${e.message}`)));
    worker.on('exit', (code) => { if (code !== 0) this.fail(new Error(`data-parallel worker ${index} exited with code ${code}`)); });
  }
  private fail(e: Error): void {
    this.failed = e;
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }
  request(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (this.pending !== null) return Promise.reject(new Error(`data-parallel worker ${this.index} is busy`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg, transfer);
    });
  }
}

export class DataParallelTrainer {
  private closed = false;
  private constructor(
    private readonly model: tf.LayersModel,
    private readonly optimizer: tf.Optimizer,
    private readonly loss: LossName,
    private readonly handles: WorkerHandle[],
  ) {}

  /** Starts the workers, builds their models and checks that they match the main model. */
  static async create(options: DataParallelOptions): Promise<DataParallelTrainer> {
    const n = options.workers ?? 1;
    if (!Number.isInteger(n) || n < 0) throw new Error(`DataParallelTrainer: workers must be an integer >= 0, got ${n}`);
    const loss = options.loss ?? 'softmaxCrossEntropy';
    lossFor(loss); // validates the name
    const url = n > 0 ? workerUrl() : null;
    const handles = Array.from({ length: n }, (_, i) => new WorkerHandle(new Worker(url!), i));
    const trainer = new DataParallelTrainer(options.model, options.optimizer, loss, handles);
    try {
      const shapes = options.model.weights.map((w) => w.shape as number[]);
      const replies = await Promise.all(handles.map((h) =>
        h.request({ type: 'init', builder: options.builder, backend: options.backend ?? 'wasm', loss })));
      replies.forEach((r, i) => {
        if (r.type !== 'ready') throw new Error(`data-parallel worker ${i}: unexpected reply '${r.type}'`);
        if (JSON.stringify(r.shapes) !== JSON.stringify(shapes)) {
          throw new Error(`data-parallel worker ${i}: builder ${options.builder.module} made a model whose weight shapes ` +
            `${JSON.stringify(r.shapes)} differ from the main model's ${JSON.stringify(shapes)}`);
        }
      });
    } catch (e) {
      await trainer.dispose();
      throw e;
    }
    return trainer;
  }

  get workerCount(): number {
    return this.handles.length;
  }

  /** One synchronous step on batch (x, y); returns the batch's mean loss (before the update). */
  async step(x: tf.Tensor, y: tf.Tensor): Promise<number> {
    if (this.closed) throw new Error('DataParallelTrainer: step after dispose()');
    const N = x.shape[0];
    if (y.shape[0] !== N) throw new Error(`DataParallelTrainer.step: x has ${N} rows but y has ${y.shape[0]}`);
    const sizes = shardSizes(N, this.handles.length + 1);
    const xRow = x.size / N, yRow = y.size / N;
    const xData = x.dataSync() as Float32Array;
    const yData = (y.dtype === 'float32' ? y.dataSync() : Float32Array.from(y.dataSync())) as Float32Array;
    const weights = this.model.weights.map((w) => w.read().dataSync() as Float32Array);

    // Workers get shards 1..k (copied, transferred); the main thread keeps shard 0.
    const replies: Promise<FromWorker>[] = [];
    let row = sizes[0];
    for (let i = 0; i < this.handles.length && i + 1 < sizes.length; i++) {
      const rows = sizes[i + 1];
      const xs = xData.slice(row * xRow, (row + rows) * xRow);
      const ys = yData.slice(row * yRow, (row + rows) * yRow);
      const ws = weights.map((w) => w.slice());
      replies.push(this.handles[i].request(
        { type: 'step', weights: ws, x: xs, xShape: [rows, ...x.shape.slice(1)], y: ys, yShape: [rows, ...y.shape.slice(1)] },
        [xs.buffer, ys.buffer, ...ws.map((w) => w.buffer as ArrayBuffer)]));
      row += rows;
    }
    let own!: ReturnType<typeof shardGradients>;
    // the tidy returns nothing: it would walk the returned gradient arrays element by element
    tf.tidy(() => {
      const xs = tf.slice(x, 0, sizes[0]);
      const ys = tf.slice(y, 0, sizes[0]);
      own = shardGradients(this.model, xs, ys.dtype === 'float32' ? ys : tf.cast(ys, 'float32'), lossFor(this.loss));
    });
    const results = [{ loss: own.loss, grads: own.grads, nonTrainable: this.model.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array) }];
    for (const r of await Promise.all(replies)) {
      if (r.type !== 'grads') throw new Error(`data-parallel worker: unexpected reply '${r.type}'`);
      results.push(r);
    }

    // Shard-size-weighted averages (each shard's loss is a mean over its rows).
    const frac = results.map((_, i) => sizes[i] / N);
    const avg = (pick: (r: (typeof results)[number]) => Float32Array[], j: number): Float32Array => {
      const out = new Float32Array(pick(results[0])[j].length);
      results.forEach((r, i) => { const a = pick(r)[j]; for (let e = 0; e < out.length; e++) out[e] += frac[i] * a[e]; });
      return out;
    };
    const trainable = this.model.trainableWeights;
    const nonTrainable = this.model.nonTrainableWeights;
    const grads = trainable.map((_, j) => avg((r) => r.grads, j));
    const stats = nonTrainable.map((_, j) => avg((r) => r.nonTrainable, j));
    tf.tidy(() => {
      const named: tf.NamedTensorMap = {};
      trainable.forEach((w, j) => { named[(w.read() as tf.Variable).name] = tf.tensor(grads[j], w.shape as number[]); });
      this.optimizer.applyGradients(named);
      nonTrainable.forEach((w, j) => w.write(tf.tensor(stats[j], w.shape as number[])));
    });
    return results.reduce((s, r, i) => s + frac[i] * r.loss, 0);
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.handles.map(async (h) => {
      h.worker.postMessage({ type: 'close' } satisfies ToWorker);
      await h.worker.terminate();
    }));
  }
}
