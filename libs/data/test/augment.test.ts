import { describe, expect, it } from 'vitest';
import { augmentBatch, augmentImage, drawAugment, IMAGE_BYTES, mulberry32 } from '../src/index.js';
import { allParams, bytes, reference } from './helpers.js';

describe('augmentImage', () => {
  const src = bytes(IMAGE_BYTES, 7).map((v) => v | 1); // no zero pixels, so padding is visible
  it('matches the pad-crop-flip definition for all 162 crops and flips', () => {
    const params = allParams();
    expect(params).toHaveLength(162);
    const wrong = params.filter((p) => {
      const dst = new Uint8Array(IMAGE_BYTES).fill(0xaa);
      augmentImage(src, dst, p);
      return !Buffer.from(dst).equals(Buffer.from(reference(src, p)));
    });
    expect(wrong).toEqual([]);
  });

  it('also works on unaligned offsets (byte path of the flip)', () => {
    const big = new Uint8Array(IMAGE_BYTES + 3);
    big.set(src, 3);
    const dst = new Uint8Array(IMAGE_BYTES + 5);
    for (const p of [{ dx: 2, dy: -3, flip: true }, { dx: -4, dy: 4, flip: false }]) {
      augmentImage(big, dst, p, 3, 5);
      expect(Buffer.from(dst.subarray(5)).equals(Buffer.from(reference(src, p)))).toBe(true);
    }
  });
});

describe('augmentBatch', () => {
  it('draws offsets in [-4, 4] and flips about half the time, uniformly', () => {
    const next = mulberry32(3);
    const counts = new Map<string, number>();
    let flips = 0;
    const N = 81_000;
    for (let i = 0; i < N; i++) {
      const p = drawAugment(next);
      expect(Math.abs(p.dx)).toBeLessThanOrEqual(4);
      expect(Math.abs(p.dy)).toBeLessThanOrEqual(4);
      counts.set(`${p.dx},${p.dy}`, (counts.get(`${p.dx},${p.dy}`) ?? 0) + 1);
      if (p.flip) flips++;
    }
    expect(counts.size).toBe(81);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(200);
    expect(Math.abs(flips / N - 0.5)).toBeLessThan(0.01);
  });

  it('is seeded: same seed words, same result; other words, other result; each image a crop/flip of its source', () => {
    const n = 16;
    const src = bytes(n * IMAGE_BYTES, 11).map((v) => v | 1);
    const a = src.slice();
    const b = src.slice();
    const c = src.slice();
    augmentBatch(a, n, [1, 0, 5]);
    augmentBatch(b, n, [1, 0, 5]);
    augmentBatch(c, n, [1, 1, 5]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    const params = allParams();
    for (let i = 0; i < n; i++) {
      const img = Buffer.from(a.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));
      const orig = src.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
      expect(params.some((p) => img.equals(Buffer.from(reference(orig, p))))).toBe(true);
    }
  });
});
