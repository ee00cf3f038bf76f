/**
 * Evaluation of a classifier on CIFAR batches: top-1 and top-5 accuracy (inference mode, no gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { CifarArrowFile, InputBuffer, cifarBatches, epochLength, toNormalizedNHWC, type ImageNormalizer } from '@atkd/data';
import type { RecordBatch } from 'apache-arrow';
import { lastValueFrom, map, reduce, takeWhile, tap, type OperatorFunction } from 'rxjs';
import { topKCorrect } from '@atkd/math';
import { readImages, readLabels } from './batch.js';

/** Top-k counting (ties broken against the true class, NaN an error naming the row): from `@atkd/math`. */
export { topKCorrect };

/** Counts of one or more evaluated batches. */
export interface EvalCounts {
  /** Images evaluated. */
  count: number;
  /** Images whose label is the top-scoring class. */
  top1: number;
  /** Images whose label is among the 5 top-scoring classes. */
  top5: number;
  /** Sum of the per-image cross-entropy. */
  lossSum: number;
}

/** The result of {@link evaluate}: accuracies as fractions in [0, 1]. */
export interface EvalResult {
  count: number;
  top1: number;
  top5: number;
  /** Mean cross-entropy. */
  loss: number;
}

/** A batch to evaluate: an Arrow record batch with `image` and `fine`, or typed arrays as `@atkd/data` batches carry them. */
export type EvalInput = RecordBatch | { images: Uint8Array; fine: Uint8Array; size: number };

function inputOf(batch: EvalInput, classes: number): { images: Uint8Array; labels: Uint8Array; rows: number } {
  // an Arrow record batch (an @atkd/data CifarBatch also has a `schema`, but no getChild)
  if (typeof (batch as RecordBatch).getChild === 'function') {
    const rb = batch as RecordBatch;
    return { images: readImages(rb), labels: readLabels(rb, classes), rows: rb.numRows };
  }
  const b = batch as { images: Uint8Array; fine: Uint8Array; size: number };
  return { images: b.images, labels: b.fine, rows: b.size };
}

/** The network input of {@link evaluateBatch} (synchronous: its tensor is disposed before the next call). */
const evalInput = new InputBuffer();

/**
 * Evaluates `model` on one batch (inference mode: `training: false`, inside `tf.tidy`). A row counts
 * as correct only when its label is strictly inside the top k (ties against it); a NaN or infinite
 * logit, or a label outside 0..classes-1, throws a `RangeError` naming the row (and `where`, e.g.
 * `test batch 3`, when given).
 */
export function evaluateBatch(model: tf.LayersModel, batch: EvalInput, normalize: ImageNormalizer = toNormalizedNHWC, where?: string): EvalCounts {
  const classes = (model.outputs[0].shape[1] ?? 0) as number;
  const { images, labels, rows } = inputOf(batch, classes);
  // tensors out of the tidy, read after (tf.tidy walks a returned typed array index by index)
  const result = tf.tidy(() => {
    const x = tf.tensor4d(normalize(images, evalInput.take(images.length)), [rows, 32, 32, 3]);
    const out = model.apply(x, { training: false }) as tf.Tensor2D;
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    return { out, loss: tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(out)), 1)) };
  });
  let logits: Float32Array;
  let ce: Float32Array;
  try {
    logits = result.out.dataSync() as Float32Array;
    ce = result.loss.dataSync() as Float32Array;
  } finally {
    tf.dispose([result.out, result.loss]);
  }
  let top1: number;
  let top5: number;
  try {
    top1 = topKCorrect(logits, labels, classes, 1, 'model logits');
    top5 = topKCorrect(logits, labels, classes, 5, 'model logits');
  } catch (e) {
    if (where === undefined) throw e;
    throw new RangeError(`${where}: ${(e as Error).message}`, { cause: e });
  }
  let lossSum = 0;
  for (let i = 0; i < ce.length; i++) lossSum += ce[i];
  return { count: rows, top1, top5, lossSum };
}

/** Sums {@link EvalCounts}. */
export function addCounts(a: EvalCounts, b: EvalCounts): EvalCounts {
  return { count: a.count + b.count, top1: a.top1 + b.top1, top5: a.top5 + b.top5, lossSum: a.lossSum + b.lossSum };
}

/** Accuracies and mean loss of summed counts. */
export function toEvalResult(c: EvalCounts): EvalResult {
  if (c.count === 0) throw new RangeError('evaluation saw no images');
  return { count: c.count, top1: c.top1 / c.count, top5: c.top5 / c.count, loss: c.lossSum / c.count };
}

/**
 * The evaluation stage as an RxJS operator: evaluates every batch (synchronously, so a backpressured
 * source reads ahead no further than its prefetch) and emits one {@link EvalResult} when the source completes.
 */
export function evaluate(model: tf.LayersModel, options: { normalize?: ImageNormalizer } = {}): OperatorFunction<EvalInput, EvalResult> {
  return (source) =>
    source.pipe(
      map((batch, i) => evaluateBatch(model, batch, options.normalize, `batch ${i}`)),
      reduce(addCounts, { count: 0, top1: 0, top5: 0, lossSum: 0 }),
      map(toEvalResult),
    );
}

export interface EvaluateFileOptions {
  /** Images per forward pass (default 200). */
  batchSize?: number;
  /** Evaluate only the first `maxRows` rows of the file. */
  maxRows?: number;
  /** Images to network input (default `toNormalizedNHWC`). */
  normalize?: ImageNormalizer;
  /** Called after each batch with the batches done and the total. */
  onBatch?: (done: number, total: number) => void;
  /** Stops between two batches; the evaluation then resolves to null. */
  signal?: AbortSignal;
}

/**
 * Evaluates `model` on a CIFAR-100 Arrow file of `@atkd/data` (a path, or a file already open, which
 * is left open), in file order: {@link evaluateBatch} over `cifarBatches`, summed. Resolves to null when
 * `signal` aborted it.
 */
export async function evaluateFile(model: tf.LayersModel, file: string | CifarArrowFile, options: EvaluateFileOptions = {}): Promise<EvalResult | null> {
  const f = typeof file === 'string' ? await CifarArrowFile.open(file) : file;
  try {
    const batchSize = options.batchSize ?? 200;
    const maxRows = options.maxRows;
    const total = epochLength(f.numRows, { batchSize, maxRows });
    let done = 0;
    const counts = await lastValueFrom(
      cifarBatches(f, { batchSize, maxRows }).pipe(
        takeWhile(() => options.signal?.aborted !== true),
        map((batch, i) => evaluateBatch(model, batch, options.normalize, `${f.path}: batch ${i} (rows ${i * batchSize}..${i * batchSize + batch.size - 1})`)),
        tap(() => options.onBatch?.(++done, total)),
        reduce(addCounts, { count: 0, top1: 0, top5: 0, lossSum: 0 }),
      ),
    );
    return options.signal?.aborted === true ? null : toEvalResult(counts);
  } finally {
    if (typeof file === 'string') await f.close();
  }
}
