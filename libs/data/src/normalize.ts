/**
 * Turns CIFAR batches (uint8 CHW) into the float NHWC input of a network, normalized per channel with
 * the CIFAR-100 training-set mean and standard deviation.
 */
import { CHANNELS, IMAGE_BYTES, IMAGE_SIZE } from './schema.js';

/** CIFAR-100 train per-channel mean (R, G, B) of pixel/255. */
export const CIFAR100_MEAN: readonly [number, number, number] = [0.5071, 0.4865, 0.4409];
/** CIFAR-100 train per-channel standard deviation (R, G, B) of pixel/255. */
export const CIFAR100_STD: readonly [number, number, number] = [0.2673, 0.2564, 0.2762];

function channelTable(c: number): Float32Array {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (v / 255 - CIFAR100_MEAN[c]) / CIFAR100_STD[c];
  return t;
}
const LUT_R = channelTable(0);
const LUT_G = channelTable(1);
const LUT_B = channelTable(2);

/**
 * `images` (n x 3 x 32 x 32 uint8, as stored) to a Float32Array n x 32 x 32 x 3 with
 * `out[b, y, x, c] = (images[b, c, y, x] / 255 - mean[c]) / std[c]`.
 * Pass an object with `images` (a batch) or the bytes themselves; `out` may be reused across calls.
 */
export function toNormalizedNHWC(batch: { images: Uint8Array } | Uint8Array, out?: Float32Array): Float32Array {
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
      result[d] = LUT_R[images[r + p]];
      result[d + 1] = LUT_G[images[g + p]];
      result[d + 2] = LUT_B[images[bl + p]];
      d += CHANNELS;
    }
  }
  return result;
}
