/**
 * Turns CIFAR batches (uint8 CHW) into the float NHWC input of a network, normalized per channel with a
 * mean and standard deviation: atkd's own CIFAR-100 statistics (the default; what the embedded teacher
 * was trained with), or those of RepDistiller, mdistiller and the authors' code, so that a teacher
 * trained there sees exactly its inputs.
 */
import { CHANNELS, IMAGE_BYTES, IMAGE_SIZE } from './schema.js';

/** CIFAR-100 train per-channel mean (R, G, B) of pixel/255 (atkd; `tools/train-teacher.py`). */
export const CIFAR100_MEAN: readonly [number, number, number] = [0.5071, 0.4865, 0.4409];
/** CIFAR-100 train per-channel standard deviation (R, G, B) of pixel/255 (atkd; `tools/train-teacher.py`). */
export const CIFAR100_STD: readonly [number, number, number] = [0.2673, 0.2564, 0.2762];

/** The per-channel mean of RepDistiller, mdistiller and the authors' code (`transforms.Normalize`). */
export const REPDISTILLER_MEAN: readonly [number, number, number] = [0.5071, 0.4867, 0.4408];
/** The per-channel standard deviation of RepDistiller, mdistiller and the authors' code. */
export const REPDISTILLER_STD: readonly [number, number, number] = [0.2675, 0.2565, 0.2761];

/** A per-channel input normalisation. */
export interface InputNormalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  description: string;
}

/**
 * The named input normalisations: `cifar100` (atkd's, the default) and `repdistiller` (RepDistiller,
 * mdistiller, the authors' code: use it for a teacher trained with one of them).
 */
export const INPUT_NORMALIZATIONS: Readonly<Record<'cifar100' | 'repdistiller', InputNormalization>> = Object.freeze({
  cifar100: { mean: CIFAR100_MEAN, std: CIFAR100_STD, description: "atkd's CIFAR-100 statistics (tools/train-teacher.py, the embedded teacher)" },
  repdistiller: { mean: REPDISTILLER_MEAN, std: REPDISTILLER_STD, description: "RepDistiller / mdistiller / the authors' code: mean (0.5071, 0.4867, 0.4408), std (0.2675, 0.2565, 0.2761)" },
});

/** A name of {@link INPUT_NORMALIZATIONS}. */
export type InputNormalizationName = keyof typeof INPUT_NORMALIZATIONS;

/** The names of {@link INPUT_NORMALIZATIONS}. */
export const INPUT_NORMALIZATION_NAMES = Object.freeze(Object.keys(INPUT_NORMALIZATIONS)) as readonly InputNormalizationName[];

/** Images (uint8 CHW, or a batch with `images`) to normalized float NHWC; `out` may be reused. */
export type Normalizer = (batch: { images: Uint8Array } | Uint8Array, out?: Float32Array) => Float32Array;

/**
 * What the stages take as their `normalize` option: image bytes (uint8 CHW) to the float NHWC input,
 * into `out` when given (an {@link InputBuffer}'s); every {@link Normalizer} is one.
 */
export type ImageNormalizer = (images: Uint8Array, out?: Float32Array) => Float32Array;

function channelTable(mean: number, std: number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (v / 255 - mean) / std;
  return t;
}

/**
 * A normalizer with `mean` / `std` (per channel): `out[b, y, x, c] = (images[b, c, y, x] / 255 - mean[c]) / std[c]`
 * as a Float32Array n x 32 x 32 x 3 (three 256-entry lookup tables).
 */
export function makeNormalizer(mean: readonly [number, number, number], std: readonly [number, number, number]): Normalizer {
  for (let c = 0; c < CHANNELS; c++) {
    if (!Number.isFinite(mean[c]) || !(std[c] > 0) || !Number.isFinite(std[c])) throw new RangeError(`normalization channel ${c}: mean must be finite and std finite > 0, got mean ${mean[c]}, std ${std[c]}`);
  }
  const lr = channelTable(mean[0], std[0]);
  const lg = channelTable(mean[1], std[1]);
  const lb = channelTable(mean[2], std[2]);
  return (batch, out) => {
    const images = batch instanceof Uint8Array ? batch : batch.images;
    if (images.length % IMAGE_BYTES !== 0) throw new RangeError(`image bytes ${images.length} not a multiple of ${IMAGE_BYTES}`);
    const result = out ?? new Float32Array(images.length);
    if (result.length < images.length) throw new RangeError(`out holds ${result.length} floats, needs ${images.length}`);
    const n = images.length / IMAGE_BYTES;
    const P = IMAGE_SIZE * IMAGE_SIZE;
    let d = 0;
    for (let b = 0; b < n; b++) {
      const r = b * IMAGE_BYTES;
      const g = r + P;
      const bl = g + P;
      for (let p = 0; p < P; p++) {
        result[d] = lr[images[r + p]];
        result[d + 1] = lg[images[g + p]];
        result[d + 2] = lb[images[bl + p]];
        d += CHANNELS;
      }
    }
    return result;
  };
}

const NORMALIZERS = new Map<string, Normalizer>();

/** The normalizer of a named input normalisation; an unknown name is a RangeError listing the known ones. */
export function normalizerFor(name: string): Normalizer {
  const spec = (INPUT_NORMALIZATIONS as Record<string, InputNormalization | undefined>)[name];
  if (spec === undefined) throw new RangeError(`unknown input normalization "${name}" (known: ${INPUT_NORMALIZATION_NAMES.join(', ')})`);
  let n = NORMALIZERS.get(name);
  if (n === undefined) {
    n = makeNormalizer(spec.mean, spec.std);
    NORMALIZERS.set(name, n);
  }
  return n;
}

/**
 * `images` (n x 3 x 32 x 32 uint8, as stored) to a Float32Array n x 32 x 32 x 3 with
 * `out[b, y, x, c] = (images[b, c, y, x] / 255 - mean[c]) / std[c]` (atkd's `cifar100` statistics).
 * Pass an object with `images` (a batch) or the bytes themselves; `out` may be reused across calls.
 */
export const toNormalizedNHWC: Normalizer = normalizerFor('cifar100');

/**
 * A network-input buffer reused across calls: `take(n)` returns n floats, the same memory every call
 * (reallocated only when a call needs more), for a {@link Normalizer}'s `out`. For a caller that makes
 * its input tensor from it and disposes that tensor before the next `take` (a synchronous forward or
 * step). It saves allocating (and collecting) a 0.8 MB ArrayBuffer a batch of 64.
 */
export class InputBuffer {
  private buf = new Float32Array(0);

  take(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`InputBuffer.take: length must be a whole number, got ${length}`);
    if (this.buf.length < length) this.buf = new Float32Array(length);
    return this.buf.subarray(0, length);
  }
}
