/**
 * The image operations of RandAugment as Pillow 9.4 computes them on a 32 x 32 RGB image, on atkd's CHW
 * uint8 layout (3,072 bytes: the R plane, then G, then B). Each op reads `src` and writes `dst` (distinct
 * buffers of one image each). Written from Pillow's documented behaviour and its C sources (ImageOps,
 * ImageEnhance, Image.rotate / Image.transform with NEAREST resampling, ImageFilter.SMOOTH), and checked
 * pixel for pixel against Pillow by `test/strong-augment.golden.test.ts` (fixtures from
 * `tools/strong-augment-golden.py`).
 *
 * Pillow's arithmetic is reproduced where it decides a pixel: blends in float32 truncated to uint8
 * (`ImagingBlend`), grey as (19595 R + 38470 G + 7471 B + 0x8000) >> 16, the affine transform in 16.16
 * fixed point (`affine_fixed`) or, for pure translations, the scaling path (`ImagingScaleAffine`), and the
 * 3 x 3 smoothing filter in float32 with its +0.5 bias and copied border.
 */
import { CHANNELS, IMAGE_BYTES, IMAGE_SIZE } from './schema.js';

const S = IMAGE_SIZE;
const P = S * S;

/** One RandAugment operation: `dst` = op(`src`, value). */
export type ImageOp = (src: Uint8Array, dst: Uint8Array, value: number) => void;

function applyLuts(src: Uint8Array, dst: Uint8Array, luts: ArrayLike<number>[]): void {
  for (let c = 0; c < CHANNELS; c++) {
    const lut = luts[c];
    const o = c * P;
    for (let p = 0; p < P; p++) dst[o + p] = lut[src[o + p]];
  }
}

function histogram(src: Uint8Array, c: number): Uint32Array {
  const h = new Uint32Array(256);
  const o = c * P;
  for (let p = 0; p < P; p++) h[src[o + p]]++;
  return h;
}

/** Pillow's `ImageOps.autocontrast` (cutoff 0): each channel's [lo, hi] stretched to [0, 255]. */
export function autoContrast(src: Uint8Array, dst: Uint8Array): void {
  const luts: Uint8Array[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const h = histogram(src, c);
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    const lut = new Uint8Array(256);
    if (hi <= lo) for (let i = 0; i < 256; i++) lut[i] = i;
    else {
      const scale = 255 / (hi - lo);
      const offset = -lo * scale;
      for (let i = 0; i < 256; i++) {
        const v = Math.trunc(i * scale + offset);
        lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    luts.push(lut);
  }
  applyLuts(src, dst, luts);
}

/** Pillow's `ImageOps.equalize`: per-channel histogram equalisation. */
export function equalize(src: Uint8Array, dst: Uint8Array): void {
  const luts: Uint8Array[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const h = histogram(src, c);
    const lut = new Uint8Array(256);
    let nonzero = 0;
    let total = 0;
    let last = 0;
    for (let i = 0; i < 256; i++) {
      if (h[i] !== 0) {
        nonzero++;
        total += h[i];
        last = h[i];
      }
    }
    const step = nonzero <= 1 ? 0 : Math.floor((total - last) / 255);
    if (step === 0) for (let i = 0; i < 256; i++) lut[i] = i;
    else {
      let n = Math.floor(step / 2);
      for (let i = 0; i < 256; i++) {
        const v = Math.floor(n / step);
        lut[i] = v > 255 ? 255 : v;
        n += h[i];
      }
    }
    luts.push(lut);
  }
  applyLuts(src, dst, luts);
}

/** Pillow's `ImageOps.posterize(img, max(1, int(v)))`: keeps the top bits of every channel. */
export function posterize(src: Uint8Array, dst: Uint8Array, value: number): void {
  const bits = Math.max(1, Math.trunc(value));
  const mask = ~((1 << (8 - bits)) - 1) & 0xff;
  for (let i = 0; i < IMAGE_BYTES; i++) dst[i] = src[i] & mask;
}

/** Pillow's `ImageOps.solarize(img, v)`: values >= v inverted. */
export function solarize(src: Uint8Array, dst: Uint8Array, value: number): void {
  for (let i = 0; i < IMAGE_BYTES; i++) dst[i] = src[i] < value ? src[i] : 255 - src[i];
}

/** Pillow's RGB -> L: (19595 R + 38470 G + 7471 B + 0x8000) >> 16 per pixel. */
function grey(src: Uint8Array, out: Uint8Array): void {
  for (let p = 0; p < P; p++) out[p] = (src[p] * 19595 + src[P + p] * 38470 + src[2 * P + p] * 7471 + 0x8000) >>> 16;
}

/**
 * `ImagingBlend(degenerate, image, alpha)` for 0 <= alpha <= 1 (every factor RandAugment draws):
 * out = (uint8)(d + alpha * (x - d)) in float32, truncated. `degenerateOf(i)` gives the degenerate
 * value of byte i of the CHW image.
 */
function blend(src: Uint8Array, dst: Uint8Array, alpha: number, degenerateOf: (i: number) => number): void {
  const a = Math.fround(alpha);
  if (a === 0) {
    for (let i = 0; i < IMAGE_BYTES; i++) dst[i] = degenerateOf(i);
    return;
  }
  if (a === 1) {
    dst.set(src.subarray(0, IMAGE_BYTES));
    return;
  }
  for (let i = 0; i < IMAGE_BYTES; i++) {
    const d = degenerateOf(i);
    dst[i] = Math.trunc(Math.fround(d + Math.fround(a * (src[i] - d))));
  }
}

/** Pillow's `ImageEnhance.Brightness(img).enhance(v)`: blend with black. */
export function brightness(src: Uint8Array, dst: Uint8Array, value: number): void {
  blend(src, dst, value, () => 0);
}

/** Pillow's `ImageEnhance.Color(img).enhance(v)`: blend with the image's grey version. */
export function color(src: Uint8Array, dst: Uint8Array, value: number): void {
  const g = new Uint8Array(P);
  grey(src, g);
  blend(src, dst, value, (i) => g[i % P]);
}

/** Pillow's `ImageEnhance.Contrast(img).enhance(v)`: blend with a flat grey at the rounded mean grey level. */
export function contrast(src: Uint8Array, dst: Uint8Array, value: number): void {
  const g = new Uint8Array(P);
  grey(src, g);
  let sum = 0;
  for (let p = 0; p < P; p++) sum += g[p];
  const mean = Math.trunc(sum / P + 0.5);
  blend(src, dst, value, () => mean);
}

const K1 = Math.fround(1 / 13);
const K5 = Math.fround(5 / 13);

/** Pillow's `ImageFilter.SMOOTH` (3 x 3 kernel 1 1 1 / 1 5 1 / 1 1 1 over 13, float32, +0.5, border copied). */
function smooth(src: Uint8Array, out: Uint8Array): void {
  const f = Math.fround;
  const k3 = (o: number, k0: number, k1: number, k2: number) => f(f(f(src[o - 1] * k0) + f(src[o] * k1)) + f(src[o + 1] * k2));
  out.set(src.subarray(0, IMAGE_BYTES));
  for (let c = 0; c < CHANNELS; c++) {
    const base = c * P;
    for (let y = 1; y < S - 1; y++) {
      for (let x = 1; x < S - 1; x++) {
        const o = base + y * S + x;
        let ss = f(0.5);
        ss = f(ss + k3(o + S, K1, K1, K1));
        ss = f(ss + k3(o, K1, K5, K1));
        ss = f(ss + k3(o - S, K1, K1, K1));
        out[o] = ss < 0 ? 0 : ss > 255 ? 255 : Math.trunc(ss);
      }
    }
  }
}

/** Pillow's `ImageEnhance.Sharpness(img).enhance(v)`: blend with the SMOOTH-filtered image. */
export function sharpness(src: Uint8Array, dst: Uint8Array, value: number): void {
  const d = new Uint8Array(IMAGE_BYTES);
  smooth(src, d);
  blend(src, dst, value, (i) => d[i]);
}

/** `COORD` of Pillow's Geometry.c: -1 for negatives, else truncation. */
const coord = (v: number) => (v < 0 ? -1 : Math.trunc(v));

/**
 * `Image.transform(size, AFFINE, (a, b, c, d, e, f), NEAREST)` with black fill: output pixel (x, y)
 * takes input (a x' + b y' + c, d x' + e y' + f) at pixel centres x' = x + 0.5, y' = y + 0.5, as
 * Pillow's scaling path (b = d = 0) or its 16.16 fixed-point path computes it.
 */
export function affineNearest(src: Uint8Array, dst: Uint8Array, m: readonly [number, number, number, number, number, number]): void {
  dst.fill(0, 0, IMAGE_BYTES);
  const copy = (y: number, x: number, yin: number, xin: number) => {
    const o = y * S + x;
    const i = yin * S + xin;
    dst[o] = src[i];
    dst[P + o] = src[P + i];
    dst[2 * P + o] = src[2 * P + i];
  };
  const [a0, a1, a2, a3, a4, a5] = m;
  if (a1 === 0 && a3 === 0) {
    // ImagingScaleAffine
    const xin = new Int32Array(S);
    let xo = a2 + a0 * 0.5;
    for (let x = 0; x < S; x++) {
      xin[x] = coord(xo);
      xo += a0;
    }
    let yo = a5 + a4 * 0.5;
    for (let y = 0; y < S; y++) {
      const yi = coord(yo);
      if (yi >= 0 && yi < S) for (let x = 0; x < S; x++) if (xin[x] >= 0 && xin[x] < S) copy(y, x, yi, xin[x]);
      yo += a4;
    }
    return;
  }
  // affine_fixed (16.16): every coefficient of RandAugment's ops keeps |x a + y b + c| < 32768
  const fix = (v: number) => Math.floor(v * 65536 + 0.5) | 0;
  const f0 = fix(a0);
  const f1 = fix(a1);
  const f3 = fix(a3);
  const f4 = fix(a4);
  let f2 = fix(a2 + a0 * 0.5 + a1 * 0.5);
  let f5 = fix(a5 + a3 * 0.5 + a4 * 0.5);
  for (let y = 0; y < S; y++) {
    let xx = f2;
    let yy = f5;
    for (let x = 0; x < S; x++) {
      const xi = xx >> 16;
      if (xi >= 0 && xi < S) {
        const yi = yy >> 16;
        if (yi >= 0 && yi < S) copy(y, x, yi, xi);
      }
      xx = (xx + f0) | 0;
      yy = (yy + f3) | 0;
    }
    f2 = (f2 + f1) | 0;
    f5 = (f5 + f4) | 0;
  }
}

/** Python's round(x, 15) for |x| <= 1 (what `Image.rotate` applies to its cosines and sines). */
const round15 = (x: number) => Number(x.toFixed(15));

/** Pillow's `Image.rotate(v)` (degrees, counter-clockwise, about the centre, NEAREST, black fill). */
export function rotate(src: Uint8Array, dst: Uint8Array, value: number): void {
  let angle = value % 360;
  if (angle < 0) angle += 360;
  if (angle === 0) {
    dst.set(src.subarray(0, IMAGE_BYTES));
    return;
  }
  if (angle === 90 || angle === 180 || angle === 270) {
    // Pillow transposes exactly; (x, y) <- rotated source
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const [sy, sx] = angle === 180 ? [S - 1 - y, S - 1 - x] : angle === 90 ? [x, S - 1 - y] : [S - 1 - x, y];
        for (let c = 0; c < CHANNELS; c++) dst[c * P + y * S + x] = src[c * P + sy * S + sx];
      }
    }
    return;
  }
  const r = -(angle * (Math.PI / 180));
  const m: [number, number, number, number, number, number] = [round15(Math.cos(r)), round15(Math.sin(r)), 0, round15(-Math.sin(r)), round15(Math.cos(r)), 0];
  const cx = S / 2;
  const cy = S / 2;
  m[2] = m[0] * -cx + m[1] * -cy + m[2] + cx;
  m[5] = m[3] * -cx + m[4] * -cy + m[5] + cy;
  affineNearest(src, dst, m);
}

/** Pillow's `img.transform(size, AFFINE, (1, v, 0, 0, 1, 0))`. */
export function shearX(src: Uint8Array, dst: Uint8Array, value: number): void {
  affineNearest(src, dst, [1, value, 0, 0, 1, 0]);
}

/** Pillow's `img.transform(size, AFFINE, (1, 0, 0, v, 1, 0))`. */
export function shearY(src: Uint8Array, dst: Uint8Array, value: number): void {
  affineNearest(src, dst, [1, 0, 0, value, 1, 0]);
}

/** `img.transform(size, AFFINE, (1, 0, v * 32, 0, 1, 0))` (v a fraction of the width). */
export function translateX(src: Uint8Array, dst: Uint8Array, value: number): void {
  affineNearest(src, dst, [1, 0, value * S, 0, 1, 0]);
}

/** `img.transform(size, AFFINE, (1, 0, 0, 0, 1, v * 32))` (v a fraction of the height). */
export function translateY(src: Uint8Array, dst: Uint8Array, value: number): void {
  affineNearest(src, dst, [1, 0, 0, 0, 1, value * S]);
}

/** The identity. */
export function identity(src: Uint8Array, dst: Uint8Array): void {
  dst.set(src.subarray(0, IMAGE_BYTES));
}

/** The fill colour of the authors' (FixMatch's) Cutout. */
export const CUTOUT_COLOR: readonly [number, number, number] = [125, 123, 114];

/**
 * The authors' `CutoutAbs` in place: a square of side `size` pixels whose top-left corner is
 * (int(max(0, cx - size/2)), int(max(0, cy - size/2))), drawn as Pillow's `ImageDraw.rectangle`
 * from that corner to (int(min(32, x0 + size)), int(min(32, y0 + size))) inclusive, clipped to the image,
 * filled with {@link CUTOUT_COLOR}.
 */
export function cutoutInPlace(image: Uint8Array, size: number, cx: number, cy: number): void {
  if (size < 0) return;
  const x0 = Math.trunc(Math.max(0, cx - size / 2));
  const y0 = Math.trunc(Math.max(0, cy - size / 2));
  const x1 = Math.min(S - 1, Math.trunc(Math.min(S, x0 + size)));
  const y1 = Math.min(S - 1, Math.trunc(Math.min(S, y0 + size)));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      for (let c = 0; c < CHANNELS; c++) image[c * P + y * S + x] = CUTOUT_COLOR[c];
    }
  }
}
