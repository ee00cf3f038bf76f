// MLKD's strong-view operations against Pillow 9.4, pixel for pixel (tools/strong-augment-golden.py,
// run with /usr/bin/python3 and Debian's python3-pil), and the seeded RandAugment(2, 10) + Cutout batch.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cutoutInPlace, IMAGE_BYTES, RAND_AUGMENT_OPS, strongAugmentBatch, type StrongAugmentDraw } from '../src/index.js';

interface Case { image: string; op: string; value: number; cx?: number; cy?: number; output: string }
const golden = JSON.parse(gunzipSync(readFileSync(new URL('./fixtures/strong-augment-golden.json.gz', import.meta.url))).toString('utf8')) as {
  pillow: string;
  images: Record<string, string>;
  cases: Case[];
};
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe(`strong-view operations = Pillow ${golden.pillow} (tools/strong-augment-golden.py)`, () => {
  it('covers every operation of the authors\' augment_list and Cutout', () => {
    const ops = new Set(golden.cases.map((c) => c.op));
    for (const { name } of RAND_AUGMENT_OPS) expect(ops.has(name), name).toBe(true);
    expect(ops.has('Cutout')).toBe(true);
    // every operation but Identity changes the image in some case: the comparisons test something
    for (const op of ops) {
      if (op === 'Identity') continue;
      const changed = golden.cases.filter((c) => c.op === op && c.output !== golden.images[c.image]).length;
      expect(changed, op).toBeGreaterThan(0);
    }
    expect(RAND_AUGMENT_OPS.map((o) => o.name)).toEqual(['AutoContrast', 'Brightness', 'Color', 'Contrast', 'Equalize', 'Identity', 'Posterize', 'Rotate', 'Sharpness', 'ShearX', 'ShearY', 'Solarize', 'TranslateX', 'TranslateY']);
  });
  for (const c of golden.cases) {
    it(`${c.op}(${c.value.toFixed(4)}${c.cx === undefined ? '' : `, centre ${c.cx}, ${c.cy}`}) on ${c.image}`, () => {
      const src = bytes(golden.images[c.image]);
      const want = bytes(c.output);
      const got = new Uint8Array(IMAGE_BYTES);
      if (c.op === 'Cutout') {
        got.set(src);
        cutoutInPlace(got, c.value, c.cx!, c.cy!);
      } else {
        RAND_AUGMENT_OPS.find((o) => o.name === c.op)!.op(src, got, c.value);
      }
      let diff = 0;
      let first = -1;
      for (let i = 0; i < IMAGE_BYTES; i++) if (got[i] !== want[i]) { diff++; if (first < 0) first = i; }
      if (diff > 0) throw new Error(`${diff} bytes differ from Pillow; first at channel ${Math.floor(first / 1024)}, y ${Math.floor((first % 1024) / 32)}, x ${first % 32}: got ${got[first]}, Pillow ${want[first]}`);
    });
  }
});

describe('strongAugmentBatch: seeded RandAugment(2, 10) + Cutout after crop and flip', () => {
  const images = new Uint8Array(8 * IMAGE_BYTES);
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  it('the same seed words give the same images and draws; others differ; the input is untouched', () => {
    const before = images.slice();
    const d1: StrongAugmentDraw[] = [];
    const a = strongAugmentBatch(images, 8, [1, 2, 3], d1);
    const b = strongAugmentBatch(images, 8, [1, 2, 3]);
    const c = strongAugmentBatch(images, 8, [1, 2, 4]);
    expect(Array.from(images)).toEqual(Array.from(before));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(d1).toHaveLength(8);
    for (const d of d1) {
      expect(d.ops).toHaveLength(2);
      for (const { name, value } of d.ops) {
        const spec = RAND_AUGMENT_OPS.find((o) => o.name === name)!;
        expect(value).toBeGreaterThanOrEqual(spec.min);
        expect(value).toBeLessThanOrEqual(spec.max);
      }
      expect(d.cutout.size).toBeGreaterThanOrEqual(0);
      expect(d.cutout.size).toBeLessThan(16);
      expect(d.cutout.cx).toBeGreaterThan(1);
      expect(d.cutout.cx).toBeLessThanOrEqual(32);
    }
  });
  it('draws every operation about equally often, with replacement (2 x 4,000 draws)', () => {
    const draws: StrongAugmentDraw[] = [];
    const many = new Uint8Array(4000 * IMAGE_BYTES);
    strongAugmentBatch(many, 4000, [9], draws);
    const counts = new Map<string, number>();
    for (const d of draws) for (const o of d.ops) counts.set(o.name, (counts.get(o.name) ?? 0) + 1);
    expect(counts.size).toBe(14);
    for (const n of counts.values()) expect(Math.abs(n - 8000 / 14)).toBeLessThan(120); // ~5 sigma
    expect(draws.some((d) => d.ops[0].name === d.ops[1].name)).toBe(true);
  });
  it('rejects a short buffer naming the sizes', () => {
    expect(() => strongAugmentBatch(new Uint8Array(10), 1, [0])).toThrow(/1 images need 3072 bytes, got 10/);
  });
});
