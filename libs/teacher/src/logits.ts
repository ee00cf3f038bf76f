/**
 * Teacher logits: a tf.LayersModel run in inference mode (no gradient, `training: false`, inside
 * `tf.tidy`) on the `image` column of an Arrow record batch; the result is added as the
 * `teacher_logits` column (FixedSizeList<Float32>[classes]). No tensor outlives a call.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_STRONG, TEACHER_LOGITS, TEACHER_LOGITS_STRONG, hasColumn, readImages, withLogitsColumn, type Batch, type StageColumn } from '@atkd/columns';
import { IMAGE_BYTES, IMAGE_SIZE, CHANNELS, InputBuffer, toNormalizedNHWC, type ImageNormalizer } from '@atkd/data';

export interface TeacherOptions {
  /**
   * Rows per forward pass (default: the whole batch). Smaller values bound the teacher's activation
   * memory for large batches; the logits do not depend on it (inference-mode BN uses running statistics).
   */
  batchSize?: number;
  /**
   * Images (rows x 3 x 32 x 32 uint8, as stored) to the network input (rows x 32 x 32 x 3 float).
   * Default `toNormalizedNHWC` of `@atkd/data` (CIFAR-100 mean / std), the normalisation of the
   * authors' training code and of the model zoo.
   */
  normalize?: ImageNormalizer;
  /** Where the batches come from (`stdin`, a file), for error messages. */
  source?: string;
}

/** The number of classes a model outputs (its output shape [null, classes]). */
export function modelClasses(model: tf.LayersModel): number {
  const shape = model.outputs[0]?.shape;
  if (model.outputs.length !== 1 || shape === undefined || shape.length !== 2 || typeof shape[1] !== 'number') {
    throw new Error(`the teacher must have one output of shape [batch, classes]; it has ${model.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}`);
  }
  const inShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || inShape === undefined || inShape[1] !== IMAGE_SIZE || inShape[2] !== IMAGE_SIZE || inShape[3] !== CHANNELS) {
    throw new Error(`the teacher must take one input of shape [batch, 32, 32, 3] (NHWC); it takes ${model.inputs.map((i) => `[${i.shape.join(', ')}]`).join(', ')}`);
  }
  return shape[1];
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`teacher option ${name} must be a positive integer, got ${v}`);
  return v;
}

/** The network input of every forward pass here (one at a time: the input tensor is disposed before the next). */
const inputBuffer = new InputBuffer();

/**
 * Runs `model` in inference mode on `rows` images (`images`: rows x 3072 bytes, CHW as stored) and
 * returns the logits, row-major rows x classes.
 */
export function predictLogits(model: tf.LayersModel, images: Uint8Array, options: TeacherOptions = {}): Float32Array {
  const classes = modelClasses(model);
  if (images.length % IMAGE_BYTES !== 0) throw new RangeError(`image bytes ${images.length} are not a multiple of ${IMAGE_BYTES}`);
  const rows = images.length / IMAGE_BYTES;
  const chunk = positiveInt('batchSize', options.batchSize ?? Math.max(rows, 1));
  const normalize = options.normalize ?? toNormalizedNHWC;
  const out = new Float32Array(rows * classes);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const input = normalize(images.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES), inputBuffer.take(n * IMAGE_BYTES));
    if (input.length < n * IMAGE_BYTES) throw new RangeError(`normalize returned ${input.length} values for ${n} images`);
    // The tidy returns the output tensor, read after: tf.tidy walks what its function returns for
    // tensors to keep, a typed array index by index into a Set (about 1 ms and 6400 boxed numbers of
    // garbage for 64 x 100 logits).
    const y = tf.tidy(() => model.apply(tf.tensor4d(input.subarray(0, n * IMAGE_BYTES), [n, IMAGE_SIZE, IMAGE_SIZE, CHANNELS]), { training: false }) as tf.Tensor);
    let logits: Float32Array;
    try {
      logits = y.dataSync() as Float32Array;
    } finally {
      y.dispose();
    }
    for (let i = 0; i < logits.length; i++) {
      if (!Number.isFinite(logits[i])) throw new RangeError(`the teacher produced a non-finite logit (${logits[i]}) for row ${start + Math.floor(i / classes)}`);
    }
    out.set(logits, start * classes);
  }
  return out;
}

/** The `image` column of a batch as one Uint8Array view (the `@atkd/columns` reader; errors name the column). */
export const imageBytes = readImages;

/**
 * `batch` with the teacher's logits added as the `teacher_logits` column (every other column passed
 * through); when the batch has MLKD's strong view (`image_strong`), also the teacher's logits on it as
 * `teacher_logits_strong`.
 */
export function withTeacherLogits<C extends StageColumn = never>(model: tf.LayersModel, batch: Batch<C>, options: TeacherOptions = {}): Batch<C | typeof TEACHER_LOGITS> {
  const classes = modelClasses(model);
  const logits = predictLogits(model, imageBytes(batch, options.source), options);
  let out = withLogitsColumn(batch, TEACHER_LOGITS, logits, classes);
  if (hasColumn(batch.schema, IMAGE_STRONG)) {
    const strong = predictLogits(model, readImages(batch, options.source, IMAGE_STRONG), options);
    out = withLogitsColumn(out, TEACHER_LOGITS_STRONG, strong, classes);
  }
  return out;
}
