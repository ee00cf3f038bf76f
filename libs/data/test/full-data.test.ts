/**
 * Checks on the full CIFAR-100 at ../shared/data/cifar-100-binary (relative to the repo root). Skipped,
 * with the reason printed, where that folder is absent. The train and test sets are imported once for
 * the whole file into a temp dir.
 */
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CifarArrowFile, IMAGE_BYTES, RECORD_BYTES, cifarBatches, importCifar100, makeSample, sampleDataDir, type ImportResult, type Split } from '../src/index.js';
import { FULL_DATA, tempDir } from './helpers.js';

const present = existsSync(join(FULL_DATA, 'train.bin'));
if (!present) console.log(`full-data tests skipped: ${FULL_DATA} not found (the full CIFAR-100 lives at ../shared/data/cifar-100-binary from the repo root)`);

describe.skipIf(!present)('full CIFAR-100', () => {
  let result: ImportResult;
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('atkd-data-full-');
    result = await importCifar100({ from: FULL_DATA, to: dir });
  }, 180_000);

  const expected: Record<Split, { rows: number; perFine: number; perCoarse: number }> = {
    train: { rows: 50_000, perFine: 500, perCoarse: 2_500 },
    test: { rows: 10_000, perFine: 100, perCoarse: 500 },
  };

  it.each(['train', 'test'] as const)('%s: row count, per-class counts, label names, checksum', async (split) => {
    const f = await CifarArrowFile.open(result.files[split]);
    await f.close();
    const want = expected[split];
    expect(f.numRows).toBe(want.rows);
    const fine = new Array<number>(100).fill(0);
    const coarse = new Array<number>(20).fill(0);
    f.fine.forEach((v) => fine[v]++);
    f.coarse.forEach((v) => coarse[v]++);
    expect(fine).toEqual(new Array(100).fill(want.perFine));
    expect(coarse).toEqual(new Array(20).fill(want.perCoarse));
    expect([...f.indices]).toEqual([...Array(want.rows).keys()]);
    const names = async (file: string) => (await readFile(join(FULL_DATA, file), 'utf8')).split('\n').filter((l) => l !== '');
    expect(f.meta.fineLabelNames).toEqual(await names('fine_label_names.txt'));
    expect(f.meta.coarseLabelNames).toEqual(await names('coarse_label_names.txt'));
    expect(f.meta.fineLabelNames.slice(0, 3)).toEqual(['apple', 'aquarium_fish', 'baby']);
    expect(f.meta.fineLabelNames[99]).toBe('worm');
    expect(f.meta.coarseLabelNames[0]).toBe('aquatic_mammals');
    const sums = JSON.parse(await readFile(join(FULL_DATA, 'SHA256SUMS.json'), 'utf8')) as { sha256: Record<string, string> };
    expect(f.meta.source.sha256).toBe(sums.sha256[`${split}.bin`]);
  });

  it.each(['train', 'test'] as const)('%s: every label and pixel byte identical to the source', async (split) => {
    const f = await CifarArrowFile.open(result.files[split]);
    const src = await open(join(FULL_DATA, `${split}.bin`), 'r');
    try {
      const chunk = 1000;
      const raw = Buffer.alloc(chunk * RECORD_BYTES);
      const images = Buffer.alloc(chunk * IMAGE_BYTES);
      let mismatches = 0;
      for (let start = 0; start < f.numRows; start += chunk) {
        await src.read(raw, 0, raw.length, start * RECORD_BYTES);
        f.readImagesSync(Uint32Array.from({ length: chunk }, (_, i) => start + i), images);
        for (let i = 0; i < chunk; i++) {
          const r = i * RECORD_BYTES;
          if (raw[r] !== f.coarse[start + i] || raw[r + 1] !== f.fine[start + i]) mismatches++;
          if (raw.compare(images, i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES, r + 2, r + RECORD_BYTES) !== 0) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
      // the first test image, as published: R values 199,196,195,... fine 49 (mountain), coarse 10
      if (split === 'test') {
        f.readImagesSync([0], images);
        expect([...images.subarray(0, 9)]).toEqual([199, 196, 195, 195, 196, 197, 198, 198, 199]);
        expect([f.fine[0], f.coarse[0]]).toEqual([49, 10]);
      }
    } finally {
      await src.close();
      await f.close();
    }
  });

  it('a shuffled, augmented epoch of the train set visits every image once', async () => {
    const seen = await lastValueFrom(
      cifarBatches(result.files.train, { batchSize: 500, shuffle: true, augment: true, seed: 1 }).pipe(
        reduce((acc, b) => {
          for (const i of b.indices) acc[i]++;
          return acc;
        }, new Uint8Array(50_000)),
      ),
    );
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it('the committed sample is exactly what the sample command makes from the full data', async () => {
    const out = join(dir, 'sample');
    const counts = await makeSample({ from: dir, out });
    expect(counts).toEqual({ train: 400, test: 200 });
    for (const split of ['train', 'test'] as const) {
      const name = `${split}.arrow`;
      expect((await readFile(join(out, name))).equals(await readFile(join(sampleDataDir(), name))), `${name} differs byte-wise from the committed sample`).toBe(true);
      const made = await CifarArrowFile.open(join(out, `${split}.arrow`));
      const committed = await CifarArrowFile.open(join(sampleDataDir(), `${split}.arrow`));
      try {
        expect([...committed.indices]).toEqual([...made.indices]);
        expect([...committed.fine]).toEqual([...made.fine]);
        const rows = Uint32Array.from({ length: made.numRows }, (_, i) => i);
        const a = new Uint8Array(rows.length * IMAGE_BYTES);
        const b = new Uint8Array(rows.length * IMAGE_BYTES);
        made.readImagesSync(rows, a);
        committed.readImagesSync(rows, b);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
        expect(committed.meta.source).toEqual(made.meta.source);
      } finally {
        await made.close();
        await committed.close();
      }
    }
  });
});
