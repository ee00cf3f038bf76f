import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CIFAR100_MEAN, CIFAR100_STD, IMAGE_BYTES, INPUT_NORMALIZATION_NAMES, InputBuffer, REPDISTILLER_MEAN, REPDISTILLER_STD, cifarBatches, makeNormalizer, normalizerFor, sampleDataDir, toNormalizedNHWC } from '../src/index.js';
import { bytes } from './helpers.js';

describe('toNormalizedNHWC', () => {
  it('moves channels last and normalizes each with the CIFAR-100 mean and std', () => {
    const n = 3;
    const images = bytes(n * IMAGE_BYTES, 4);
    const out = toNormalizedNHWC({ images });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(n * 32 * 32 * 3);
    for (const [b, y, x, c] of [[0, 0, 0, 0], [1, 5, 31, 2], [2, 31, 7, 1], [2, 31, 31, 2]]) {
      const v = images[b * IMAGE_BYTES + c * 1024 + y * 32 + x];
      expect(out[((b * 32 + y) * 32 + x) * 3 + c]).toBeCloseTo((v / 255 - CIFAR100_MEAN[c]) / CIFAR100_STD[c], 5);
    }
    expect(toNormalizedNHWC(new Uint8Array(IMAGE_BYTES).fill(255))[2]).toBeCloseTo((1 - 0.4409) / 0.2762, 5);
  });

  it("the RepDistiller / mdistiller / authors' constants, by name; atkd's stay the default", () => {
    expect(REPDISTILLER_MEAN).toEqual([0.5071, 0.4867, 0.4408]);
    expect(REPDISTILLER_STD).toEqual([0.2675, 0.2565, 0.2761]);
    expect(INPUT_NORMALIZATION_NAMES).toEqual(['cifar100', 'repdistiller']);
    const images = bytes(2 * IMAGE_BYTES, 5);
    const rep = normalizerFor('repdistiller')(images);
    const ours = normalizerFor('cifar100')(images);
    expect(Array.from(ours)).toEqual(Array.from(toNormalizedNHWC(images)));
    let differ = 0;
    for (const [b, y, x, c] of [[0, 0, 0, 0], [1, 5, 31, 2], [0, 31, 7, 1], [1, 31, 31, 2]]) {
      const v = images[b * IMAGE_BYTES + c * 1024 + y * 32 + x];
      const i = ((b * 32 + y) * 32 + x) * 3 + c;
      expect(rep[i]).toBeCloseTo((v / 255 - REPDISTILLER_MEAN[c]) / REPDISTILLER_STD[c], 5);
      if (Math.abs(rep[i] - ours[i]) > 1e-4) differ++;
    }
    expect(differ).toBeGreaterThan(0);
    expect(Array.from(makeNormalizer(REPDISTILLER_MEAN, REPDISTILLER_STD)(images))).toEqual(Array.from(rep));
    expect(() => normalizerFor('imagenet')).toThrow('unknown input normalization "imagenet" (known: cifar100, repdistiller)');
    expect(() => makeNormalizer([0, 0, 0], [1, 0, 1])).toThrow(/channel 1/);
  });

  it('reuses an output buffer and rejects a short one or a partial image', () => {
    const images = bytes(2 * IMAGE_BYTES, 9);
    const out = new Float32Array(2 * IMAGE_BYTES);
    expect(toNormalizedNHWC(images, out)).toBe(out);
    expect(() => toNormalizedNHWC(images, new Float32Array(10))).toThrow(RangeError);
    expect(() => toNormalizedNHWC(new Uint8Array(100))).toThrow(RangeError);
  });

  it('InputBuffer hands out the same memory on every call, grown only when a call needs more', () => {
    const buf = new InputBuffer();
    const a = buf.take(2 * IMAGE_BYTES);
    expect(a.length).toBe(2 * IMAGE_BYTES);
    const b = buf.take(IMAGE_BYTES);
    expect(b.length).toBe(IMAGE_BYTES);
    expect(b.buffer).toBe(a.buffer);
    const c = buf.take(3 * IMAGE_BYTES);
    expect(c.length).toBe(3 * IMAGE_BYTES);
    expect(c.buffer).not.toBe(a.buffer);
    expect(buf.take(2 * IMAGE_BYTES).buffer).toBe(c.buffer);
    // as a normalizer's out: the same values as a fresh array
    const images = bytes(2 * IMAGE_BYTES, 5);
    expect(Array.from(toNormalizedNHWC(images, buf.take(images.length)))).toEqual(Array.from(toNormalizedNHWC(images)));
    expect(buf.take(0).length).toBe(0);
    expect(() => buf.take(-1)).toThrow(RangeError);
    expect(() => buf.take(1.5)).toThrow(/whole number/);
  });

  it('gives roughly zero mean and unit variance per channel on real CIFAR-100 images (the sample)', async () => {
    const batches = await lastValueFrom(cifarBatches(join(sampleDataDir(), 'train.arrow'), { batchSize: 100 }).pipe(toArray()));
    const sum = [0, 0, 0];
    const sq = [0, 0, 0];
    let count = 0;
    for (const b of batches) {
      const x = toNormalizedNHWC(b);
      for (let i = 0; i < x.length; i++) {
        sum[i % 3] += x[i];
        sq[i % 3] += x[i] * x[i];
      }
      count += x.length / 3;
    }
    for (let c = 0; c < 3; c++) {
      const mean = sum[c] / count;
      const sd = Math.sqrt(sq[c] / count - mean * mean);
      expect(Math.abs(mean)).toBeLessThan(0.1);
      expect(Math.abs(sd - 1)).toBeLessThan(0.1);
    }
  });
});
