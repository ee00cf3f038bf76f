/**
 * The standard CIFAR augmentation on CHW uint8 images: random crop of 32 x 32 out of the image padded
 * with 4 zero pixels on every side, then a horizontal flip with probability 1/2.
 */
import { mixSeed, mulberry32, STREAM_AUGMENT } from './rng.js';
import { IMAGE_BYTES, IMAGE_SIZE, CHANNELS } from './schema.js';

/** Zero padding of the random crop, in pixels. */
export const CROP_PADDING = 4;

/** One image's augmentation: crop offsets in [-4, 4] (`dx`, `dy`: shift of the content) and the flip. */
export interface AugmentParams {
  dx: number;
  dy: number;
  flip: boolean;
}

/** Draws one image's parameters from a 32-bit generator (one draw per image). */
export function drawAugment(next: () => number): AugmentParams {
  const r = next();
  const span = 2 * CROP_PADDING + 1;
  return {
    dx: (r % span) - CROP_PADDING,
    dy: (Math.floor(r / span) % span) - CROP_PADDING,
    flip: (r >>> 31) === 1,
  };
}

/**
 * `dst[plane] = src[plane]` shifted so that `dst[y, x] = src[y + sy, x + sx]`, zero where that falls
 * outside the 32 x 32 plane. One block copy plus zeroing of the uncovered rows and columns.
 */
function shiftPlane(src: Uint8Array, srcPlane: number, dst: Uint8Array, dstPlane: number, sy: number, sx: number): void {
  const S = IMAGE_SIZE;
  const P = S * S;
  const y0 = Math.max(0, -sy);
  const y1 = Math.min(S, S - sy);
  const k = sy * S + sx;
  // rows fully outside the source
  if (y0 > 0) dst.fill(0, dstPlane, dstPlane + y0 * S);
  if (y1 < S) dst.fill(0, dstPlane + y1 * S, dstPlane + P);
  // block copy of the covered rows, clipped to the source plane
  const a = Math.max(y0 * S, -k);
  const b = Math.min(y1 * S, P - k);
  if (b > a) dst.set(src.subarray(srcPlane + a + k, srcPlane + b + k), dstPlane + a);
  // columns that wrapped around from the neighbouring row
  if (sx !== 0) {
    const c0 = sx > 0 ? S - sx : 0;
    const c1 = sx > 0 ? S : -sx;
    for (let y = y0; y < y1; y++) {
      const row = dstPlane + y * S;
      for (let x = c0; x < c1; x++) dst[row + x] = 0;
    }
  }
}

/** Mirrors the 96 rows of the image at word `from` of `s32` into `d32` (8 words a row: word j of the mirrored row is word 7 - j byte-swapped). */
function mirrorRows32(s32: Uint32Array, from: number, d32: Uint32Array): void {
  for (let o = 0; o < IMAGE_BYTES / 4; o += 8) {
    const b = from + o + 7;
    for (let j = 0; j < 8; j++) {
      const w = s32[b - j];
      d32[o + j] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
    }
  }
}

/** Byte-wise {@link mirrorRows32} for unaligned images. */
function mirrorRowsBytes(src: Uint8Array, from: number, dst: Uint8Array): void {
  const S = IMAGE_SIZE;
  for (let r = 0; r < CHANNELS * S; r++) {
    const s0 = from + r * S + S - 1;
    const d0 = r * S;
    for (let x = 0; x < S; x++) dst[d0 + x] = src[s0 - x];
  }
}

const aligned = (a: Uint8Array, offset: number) => (a.byteOffset + offset) % 4 === 0;
const words = (a: Uint8Array, offset: number, bytes: number) => new Uint32Array(a.buffer, a.byteOffset + offset, bytes / 4);

/**
 * Writes the augmented image at `src[srcOffset ...]` (3,072 bytes, CHW) to `dst[dstOffset ...]` (not
 * overlapping it): `dst[c, y, x] = padded[c, y + 4 + dy, x' + 4 + dx]` with `x' = flip ? 31 - x : x`,
 * where `padded` is the source with 4 zero pixels around. `dx = dy = 0, flip = false` copies the image.
 * A flip goes through `flipScratch` (3,072 bytes): rows are mirrored there, then
 * `dst[y, x] = mirrored[y + dy, x - dx]`.
 */
export function augmentImage(
  src: Uint8Array,
  dst: Uint8Array,
  p: AugmentParams,
  srcOffset = 0,
  dstOffset = 0,
  flipScratch: Uint8Array = new Uint8Array(IMAGE_BYTES),
): void {
  const P = IMAGE_SIZE * IMAGE_SIZE;
  if (p.flip) {
    if (aligned(src, srcOffset) && aligned(flipScratch, 0)) mirrorRows32(words(src, srcOffset, IMAGE_BYTES), 0, words(flipScratch, 0, IMAGE_BYTES));
    else mirrorRowsBytes(src, srcOffset, flipScratch);
    for (let c = 0; c < CHANNELS; c++) shiftPlane(flipScratch, c * P, dst, dstOffset + c * P, p.dy, -p.dx);
  } else {
    for (let c = 0; c < CHANNELS; c++) shiftPlane(src, srcOffset + c * P, dst, dstOffset + c * P, p.dy, p.dx);
  }
}

/**
 * Augments `count` images of `images` (CHW, 3,072 bytes each) in place, seeded by `seedWords`
 * (e.g. seed, epoch, batch index): the same seed words give the same result. `scratch`: 6,144 bytes.
 */
export function augmentBatch(images: Uint8Array, count: number, seedWords: number[], scratch = new Uint8Array(2 * IMAGE_BYTES)): void {
  const P = IMAGE_SIZE * IMAGE_SIZE;
  const next = mulberry32(mixSeed(...seedWords, STREAM_AUGMENT));
  const copy = scratch.subarray(0, IMAGE_BYTES);
  const flip = scratch.subarray(IMAGE_BYTES, 2 * IMAGE_BYTES);
  const fast = aligned(images, 0) && aligned(flip, 0);
  const images32 = fast ? words(images, 0, count * IMAGE_BYTES) : null;
  const flip32 = fast ? words(flip, 0, IMAGE_BYTES) : null;
  for (let i = 0; i < count; i++) {
    const p = drawAugment(next);
    if (p.dx === 0 && p.dy === 0 && !p.flip) continue;
    const off = i * IMAGE_BYTES;
    if (p.flip) {
      // mirror straight out of the batch, then shift back into it
      if (images32 && flip32) mirrorRows32(images32, off / 4, flip32);
      else mirrorRowsBytes(images, off, flip);
      for (let c = 0; c < CHANNELS; c++) shiftPlane(flip, c * P, images, off + c * P, p.dy, -p.dx);
    } else {
      copy.set(images.subarray(off, off + IMAGE_BYTES));
      for (let c = 0; c < CHANNELS; c++) shiftPlane(copy, c * P, images, off + c * P, p.dy, p.dx);
    }
  }
}
