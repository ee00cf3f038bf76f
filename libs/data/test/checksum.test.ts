// Checksums of the Arrow data files: each record batch records the CRC-32 of its columns when it is
// written; opening a file checks them (flipped bytes are found) and checks every label.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CifarArrowFile, IMAGE_BYTES, cifarSchema, importCifar100, writeCifarArrow, type CifarMeta } from '../src/index.js';
import { COARSE_NAMES, FINE_NAMES, sourceFiles, tempDir, writeFolder } from './helpers.js';

let root: string;
let train: string;

beforeAll(async () => {
  root = await tempDir('atkd-data-crc-');
  const folder = await writeFolder(join(root, 'cifar-100-binary'), sourceFiles(1500, 100));
  train = (await importCifar100({ from: folder, to: join(root, 'data') })).files.train;
});

async function flipped(at: (size: number) => number, name: string): Promise<string> {
  const copy = join(root, name);
  await copyFile(train, copy);
  const bytes = await readFile(copy);
  const i = at(bytes.length);
  bytes[i] ^= 0x10;
  await writeFile(copy, bytes);
  return copy;
}

describe('Arrow data file checksums', () => {
  it('a freshly imported file verifies', async () => {
    const f = await CifarArrowFile.open(train);
    expect(f.checksums).toBe('verified');
    await f.close();
  });

  it('one flipped image byte is found at open, naming the record batch (was: opened, trained on)', async () => {
    // 1,500 rows in record batches of 1,000: three quarters into the file is an image of batch 1
    const bad = await flipped((size) => Math.floor(size * 0.75), 'flipped.arrow');
    await expect(CifarArrowFile.open(bad)).rejects.toThrow(/flipped\.arrow: record batch 1 \(rows 1000\.\.1499\) is corrupted: the CRC-32 of its columns is [0-9a-f]{8}, the file recorded [0-9a-f]{8}/);
    // verify: false skips the check (and says so)
    const f = await CifarArrowFile.open(bad, { verify: false });
    expect(f.checksums).toBe('skipped');
    await f.close();
  });

  it('refuses labels outside 0..99 / 0..19 at open, naming the row (was: NaN..NaN per class)', async () => {
    const meta: CifarMeta = { format: 'atkd-cifar-100/1', split: 'train', fineLabelNames: FINE_NAMES, coarseLabelNames: COARSE_NAMES, source: { file: 'train.bin', bytes: 0, records: 3, sha256: '0'.repeat(64) } };
    const cols = (fine: number[], coarse: number[]) => ({ length: 3, indices: Uint32Array.of(0, 1, 2), images: new Uint8Array(3 * IMAGE_BYTES), fine: Uint8Array.from(fine), coarse: Uint8Array.from(coarse) });
    const badFine = join(root, 'bad-fine.arrow');
    await writeCifarArrow(badFine, cifarSchema(meta), [cols([1, 150, 2], [1, 1, 2])]);
    await expect(CifarArrowFile.open(badFine)).rejects.toThrow(/bad-fine\.arrow: row 1 has fine label 150, outside 0\.\.99/);
    const badCoarse = join(root, 'bad-coarse.arrow');
    await writeCifarArrow(badCoarse, cifarSchema(meta), [cols([1, 5, 2], [1, 1, 20])]);
    await expect(CifarArrowFile.open(badCoarse)).rejects.toThrow(/row 2 has coarse label 20, outside 0\.\.19/);
  });
});
