/**
 * MLKD's strong view, as the authors' code builds it (`dataset/cifar100.py`,
 * `get_cifar100_train_transform_strong`): random crop (4-pixel zero padding) and horizontal flip, then
 * `RandAugment(2, 10)`: two operations drawn with replacement from fourteen, each with a value drawn
 * uniformly from its range, then Cutout with a side of up to half the image. Seeded: the same seed words
 * give the same images on every platform.
 *
 * Quirks of the code, kept (see libs/data/README.md):
 * - the magnitude 10 of `RandAugment(2, 10)` is unused ("deprecated" in the code): values are uniform
 *   in each operation's whole range;
 * - the Cutout centre is `np.random.uniform(32)`, i.e. uniform between low = 32 and high = 1.0 (numpy
 *   takes the first argument as `low`): a centre in (1, 32], never in [0, 1].
 */
import { augmentImage, drawAugment } from './augment.js';
import {
  autoContrast,
  brightness,
  color,
  contrast,
  cutoutInPlace,
  equalize,
  identity,
  posterize,
  rotate,
  sharpness,
  shearX,
  shearY,
  solarize,
  translateX,
  translateY,
  type ImageOp,
} from './image-ops.js';
import { mixSeed, mulberry32 } from './rng.js';
import { IMAGE_BYTES, IMAGE_SIZE } from './schema.js';

/** One RandAugment operation with the range its value is drawn from. */
export interface RandAugmentOp {
  name: string;
  op: ImageOp;
  min: number;
  max: number;
}

/** The fourteen operations of the authors' `augment_list()`, in its order, with their ranges. */
export const RAND_AUGMENT_OPS: readonly RandAugmentOp[] = Object.freeze([
  { name: 'AutoContrast', op: autoContrast, min: 0, max: 1 },
  { name: 'Brightness', op: brightness, min: 0.05, max: 0.95 },
  { name: 'Color', op: color, min: 0.05, max: 0.95 },
  { name: 'Contrast', op: contrast, min: 0.05, max: 0.95 },
  { name: 'Equalize', op: equalize, min: 0, max: 1 },
  { name: 'Identity', op: identity, min: 0, max: 1 },
  { name: 'Posterize', op: posterize, min: 4, max: 8 },
  { name: 'Rotate', op: rotate, min: -30, max: 30 },
  { name: 'Sharpness', op: sharpness, min: 0.05, max: 0.95 },
  { name: 'ShearX', op: shearX, min: -0.3, max: 0.3 },
  { name: 'ShearY', op: shearY, min: -0.3, max: 0.3 },
  { name: 'Solarize', op: solarize, min: 0, max: 256 },
  { name: 'TranslateX', op: translateX, min: -0.3, max: 0.3 },
  { name: 'TranslateY', op: translateY, min: -0.3, max: 0.3 },
]);

/** Operations per image of `RandAugment(2, 10)`. */
export const RAND_AUGMENT_N = 2;
/** Largest Cutout side as a fraction of the image (`random() * 0.5`). */
export const CUTOUT_MAX_FRACTION = 0.5;
/** Stream tag of the strong view's randomness (independent of the weak view's crop and flip). */
export const STREAM_STRONG = 0x5354;

/** What was drawn for one image (for tests and logs). */
export interface StrongAugmentDraw {
  crop: { dx: number; dy: number; flip: boolean };
  ops: Array<{ name: string; value: number }>;
  cutout: { size: number; cx: number; cy: number };
}

const uniform = (next: () => number) => next() / 4294967296;

/**
 * RandAugment(2, 10) + Cutout of one CHW image (`src` -> `dst`, 3,072 bytes each, distinct), drawing from
 * `next`: for each of the two ops an index (uniform over the fourteen) and a value; then the Cutout side
 * (uniform in [0, 16) pixels) and centre (each coordinate uniform in (1, 32]). Returns the draws.
 */
export function randAugmentImage(src: Uint8Array, dst: Uint8Array, next: () => number, scratch = new Uint8Array(IMAGE_BYTES)): Omit<StrongAugmentDraw, 'crop'> {
  const ops: StrongAugmentDraw['ops'] = [];
  let from = src;
  let to = RAND_AUGMENT_N % 2 === 0 ? scratch : dst;
  for (let k = 0; k < RAND_AUGMENT_N; k++) {
    const chosen = RAND_AUGMENT_OPS[Math.floor(uniform(next) * RAND_AUGMENT_OPS.length)];
    const value = chosen.min + (chosen.max - chosen.min) * uniform(next);
    chosen.op(from, to, value);
    ops.push({ name: chosen.name, value });
    from = to;
    to = to === scratch ? dst : scratch;
  }
  if (from !== dst) dst.set(from.subarray(0, IMAGE_BYTES));
  const size = uniform(next) * CUTOUT_MAX_FRACTION * IMAGE_SIZE;
  const cx = IMAGE_SIZE + (1 - IMAGE_SIZE) * uniform(next);
  const cy = IMAGE_SIZE + (1 - IMAGE_SIZE) * uniform(next);
  if (size > 0) cutoutInPlace(dst, size, cx, cy);
  return { ops, cutout: { size, cx, cy } };
}

/**
 * The strong view of `count` CHW images (`images`, 3,072 bytes each): a new buffer where every image is
 * cropped and flipped (its own draw, independent of the weak view's) and then RandAugment(2, 10) +
 * Cutout'ed, seeded by `seedWords` (e.g. seed, epoch, batch index). `draws`, if given, receives what was
 * drawn for each image. The input is not modified.
 */
export function strongAugmentBatch(images: Uint8Array, count: number, seedWords: number[], draws?: StrongAugmentDraw[]): Uint8Array {
  if (!Number.isInteger(count) || count < 0 || images.length < count * IMAGE_BYTES) {
    throw new RangeError(`strongAugmentBatch: ${count} images need ${count * IMAGE_BYTES} bytes, got ${images.length}`);
  }
  const next = mulberry32(mixSeed(...seedWords, STREAM_STRONG));
  const out = new Uint8Array(count * IMAGE_BYTES);
  const cropped = new Uint8Array(IMAGE_BYTES);
  const flipScratch = new Uint8Array(IMAGE_BYTES);
  const scratch = new Uint8Array(IMAGE_BYTES);
  for (let i = 0; i < count; i++) {
    const crop = drawAugment(next);
    augmentImage(images, cropped, crop, i * IMAGE_BYTES, 0, flipScratch);
    const r = randAugmentImage(cropped, out.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), next, scratch);
    draws?.push({ crop, ...r });
  }
  return out;
}
