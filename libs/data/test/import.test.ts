import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CifarArrowFile,
  CifarDataError,
  FORMAT,
  IMAGE_BYTES,
  RECORD_BYTES,
  defaultDataDir,
  importCifar100,
  type ImportProgress,
} from '../src/index.js';
import { COARSE_NAMES, FINE_NAMES, cifarTarball, tarball, coarseOf, fineOf, listing, md5, records, sha256, sourceFiles, sourceImage, tempDir, writeFolder } from './helpers.js';

const files = sourceFiles();
let root: string;
let folder: string;

beforeAll(async () => {
  root = await tempDir();
  folder = await writeFolder(join(root, 'cifar-100-binary'), files);
});

async function expectMatchesSource(path: string, bin: Uint8Array, seed: number): Promise<void> {
  const f = await CifarArrowFile.open(path);
  try {
    const n = bin.length / RECORD_BYTES;
    expect(f.numRows).toBe(n);
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const images = new Uint8Array(n * IMAGE_BYTES);
    f.readImagesSync(rows, images);
    for (let i = 0; i < n; i++) {
      expect(f.indices[i]).toBe(i);
      expect(f.fine[i]).toBe(fineOf(i, seed));
      expect(f.coarse[i]).toBe(coarseOf(fineOf(i, seed)));
      if (!Buffer.from(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)).equals(sourceImage(bin, i))) throw new Error(`image ${i} differs`);
    }
  } finally {
    await f.close();
  }
}

describe('importCifar100 from a folder', () => {
  let out: string;
  const progress: ImportProgress[] = [];
  beforeAll(async () => {
    out = join(root, 'out-folder');
    await importCifar100({ from: folder, to: out, onProgress: (p) => progress.push(p) });
  });

  it('writes train.arrow and test.arrow and nothing else', async () => {
    expect(await listing(out)).toEqual(['test.arrow', 'train.arrow']);
  });

  it('keeps every record: index, labels and the image bytes exactly as stored', async () => {
    await expectMatchesSource(join(out, 'train.arrow'), files['train.bin'], 1);
    await expectMatchesSource(join(out, 'test.arrow'), files['test.bin'], 2);
  });

  it('writes the schema and metadata: split, label names, source checksum, format', async () => {
    const f = await CifarArrowFile.open(join(out, 'train.arrow'));
    await f.close();
    expect(f.schema.fields.map((x) => `${x.name}: ${String(x.type)}${x.nullable ? '?' : ''}`)).toEqual([
      'index: Uint32',
      'image: FixedSizeBinary[3072]',
      'fine: Uint8',
      'coarse: Uint8',
    ]);
    expect(f.meta.format).toBe(FORMAT);
    expect(f.meta.split).toBe('train');
    expect(f.meta.fineLabelNames).toEqual(FINE_NAMES);
    expect(f.meta.coarseLabelNames).toEqual(COARSE_NAMES);
    expect(f.meta.source).toEqual({ file: 'train.bin', bytes: files['train.bin'].length, records: 1234, sha256: sha256(files['train.bin']) });
    expect(f.schema.metadata.get('source_sha256')).toBe(sha256(files['train.bin']));
    expect(JSON.parse(f.schema.metadata.get('fine_label_names')!)).toEqual(FINE_NAMES);
  });

  it('is a standard Arrow IPC file in record batches of 1,000 rows', async () => {
    const table = tableFromIPC(await readFile(join(out, 'train.arrow')));
    expect(table.numRows).toBe(1234);
    expect(table.batches.map((b) => b.numRows)).toEqual([1000, 234]);
    expect(table.schema.metadata.get('split')).toBe('train');
    const image = table.getChild('image')!.get(1233) as Uint8Array;
    expect(Buffer.from(image).equals(sourceImage(files['train.bin'], 1233))).toBe(true);
    expect(table.getChild('fine')!.get(1233)).toBe(fineOf(1233, 1));
    expect(table.getChild('index')!.get(1233)).toBe(1233);
  });

  it('reports progress over both passes up to the total', () => {
    const total = files['train.bin'].length + files['test.bin'].length;
    expect(progress.length).toBeGreaterThan(1);
    for (const phase of ['check', 'write'] as const) {
      const last = progress.filter((p) => p.phase === phase).at(-1)!;
      expect(last).toEqual({ phase, bytes: total, totalBytes: total });
    }
  });

  it('is deterministic: importing again gives identical bytes', async () => {
    const again = join(root, 'out-folder-again');
    await importCifar100({ from: folder, to: again });
    for (const name of ['train.arrow', 'test.arrow']) expect((await readFile(join(again, name))).equals(await readFile(join(out, name)))).toBe(true);
  });
});

describe('importCifar100 from the archive, streamed', () => {
  it('gives the same rows as the folder, and records the archive checksum', async () => {
    for (const gzip of [true, false]) {
      const tgz = cifarTarball(files, gzip);
      const archive = join(root, gzip ? 'cifar-100-binary.tar.gz' : 'cifar-100-binary.tar');
      await writeFile(archive, tgz);
      const out = join(root, `out-archive-${gzip}`);
      const r = await importCifar100({ from: archive, to: out });
      expect(await listing(out)).toEqual(['test.arrow', 'train.arrow']);
      expect(await listing(root)).not.toContain('cifar-100-binary/train.bin.tmp');
      await expectMatchesSource(r.files.train, files['train.bin'], 1);
      await expectMatchesSource(r.files.test, files['test.bin'], 2);
      expect(r.meta.test.source).toEqual({
        file: 'test.bin',
        bytes: files['test.bin'].length,
        records: 345,
        sha256: sha256(files['test.bin']),
        archive: { name: gzip ? 'cifar-100-binary.tar.gz' : 'cifar-100-binary.tar', md5: md5(tgz), sha256: sha256(tgz) },
      });
    }
  });
});

describe('bad input: a clear error naming file and record, and nothing (half-)written', () => {
  async function expectFailure(source: Partial<Record<string, Uint8Array>> | { archive: Uint8Array }, pattern: RegExp, record?: number): Promise<void> {
    const dir = await tempDir('atkd-data-bad-');
    const from = 'archive' in source ? join(dir, 'cifar-100-binary.tar.gz') : join(dir, 'src');
    if ('archive' in source) await writeFile(from, source.archive as Uint8Array);
    else await writeFolder(from, source);
    const to = join(dir, 'out');
    // a previous good import must survive a failed one untouched
    await importCifar100({ from: folder, to });
    const before = await readFile(join(to, 'train.arrow'));
    const err = await importCifar100({ from, to }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CifarDataError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as CifarDataError).record).toBe(record);
    expect(await listing(to)).toEqual(['test.arrow', 'train.arrow']);
    expect((await readFile(join(to, 'train.arrow'))).equals(before)).toBe(true);
    // and into an empty target nothing appears
    const fresh = join(dir, 'fresh');
    await expect(importCifar100({ from, to: fresh })).rejects.toThrow(pattern);
    expect(await listing(fresh)).toEqual([]);
  }

  it('truncated record', async () => {
    const train = files['train.bin'].subarray(0, 100 * RECORD_BYTES + 1000);
    await expectFailure({ ...files, 'train.bin': train }, /src\/train\.bin, record 100: .*not a whole number of 3074-byte records \(100 records and 1000 bytes\)/, 100);
  });

  it('truncated record inside an archive', async () => {
    const bad = { ...files, 'test.bin': files['test.bin'].subarray(0, 7 * RECORD_BYTES + 5) };
    await expectFailure({ archive: cifarTarball(bad) }, /cifar-100-binary\.tar\.gz:cifar-100-binary\/test\.bin, record 7: /, 7);
  });

  it('fine label out of range', async () => {
    const train = Buffer.from(files['train.bin']);
    train[733 * RECORD_BYTES + 1] = 117;
    await expectFailure({ ...files, 'train.bin': train }, /src\/train\.bin, record 733: fine label 117 out of range 0\.\.99/, 733);
  });

  it('coarse label out of range', async () => {
    const test = Buffer.from(files['test.bin']);
    test[5 * RECORD_BYTES] = 20;
    await expectFailure({ ...files, 'test.bin': test }, /src\/test\.bin, record 5: coarse label 20 out of range 0\.\.19/, 5);
  });

  it('a fine class under two coarse classes', async () => {
    const train = Buffer.from(files['train.bin']);
    // record 100 has the same fine label as record 0 (period 100), give it another coarse label
    train[100 * RECORD_BYTES] = (coarseOf(fineOf(0, 1)) + 1) % 20;
    await expectFailure({ ...files, 'train.bin': train }, /record 100: fine label \d+ comes with coarse label \d+, but with coarse label \d+ at record 0/, 100);
  });

  it('wrong file: a CIFAR-10 style folder', async () => {
    await expectFailure({ 'data_batch_1.bin': records(3, 1), 'batches.meta.txt': Buffer.from('airplane\n') }, /src\/fine_label_names\.txt: missing/);
  });

  it('wrong file: 3,073-byte records (CIFAR-10 binary)', async () => {
    await expectFailure({ ...files, 'test.bin': new Uint8Array(10 * 3073) }, /test\.bin, record 9: size 30730 bytes is not a whole number/, 9);
  });

  it('wrong label names file', async () => {
    await expectFailure({ ...files, 'coarse_label_names.txt': Buffer.from('a\nb\n') }, /coarse_label_names\.txt: holds 2 label names, expected 20/);
  });

  it('archive without a member', async () => {
    const tgz = tarball([
      { name: 'cifar-100-binary/train.bin', data: files['train.bin'] },
      { name: 'cifar-100-binary/fine_label_names.txt', data: files['fine_label_names.txt'] },
      { name: 'cifar-100-binary/coarse_label_names.txt', data: files['coarse_label_names.txt'] },
    ]);
    await expectFailure({ archive: tgz }, /cifar-100-binary\.tar\.gz: archive lacks test\.bin/);
  });

  it('an empty data file inside an archive', async () => {
    await expectFailure({ archive: cifarTarball({ ...files, 'test.bin': new Uint8Array(0) }) }, /test\.bin: holds no records/);
  });

  it('corrupt gzip (bad CRC, cut short)', async () => {
    const tgz = Buffer.from(cifarTarball(files));
    tgz[tgz.length - 8] ^= 0xff; // the CRC-32 in the gzip trailer
    await expectFailure({ archive: tgz }, /cifar-100-binary\.tar\.gz: corrupt gzip data/);
    await expectFailure({ archive: tgz.subarray(0, tgz.length - 3000) }, /cifar-100-binary\.tar\.gz: corrupt gzip data/);
  });

  it('missing source', async () => {
    await expect(importCifar100({ from: join(root, 'nope'), to: join(root, 'nope-out') })).rejects.toThrow(/nope: not found/);
  });

  it('a failure while renaming into place leaves no temp file behind', async () => {
    const dir = await tempDir('atkd-data-rename-');
    await mkdir(join(dir, 'train.arrow')); // a directory where the file must go
    await expect(importCifar100({ from: folder, to: dir })).rejects.toThrow();
    expect(await listing(dir)).toEqual(['train.arrow']);
  });
});

describe('an import killed mid-write', () => {
  it('leaves a temp file that the next import removes (only when its process is gone)', async () => {
    const dir = await tempDir('atkd-data-stale-');
    const dead = `.train.arrow.tmp-${2 ** 22 + 17}-0123abcd`; // above Linux's pid_max: no such process
    const live = `.test.arrow.tmp-${process.ppid}-89abcdef`; // the test runner's parent: alive
    await writeFile(join(dir, dead), 'half a file');
    await writeFile(join(dir, live), 'being written');
    await importCifar100({ from: folder, to: dir });
    expect(await listing(dir)).toEqual([live, 'test.arrow', 'train.arrow']);
  });
});

describe('defaultDataDir', () => {
  it('honours ATKD_DATA_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultDataDir({ ATKD_DATA_DIR: '/x/data', XDG_CACHE_HOME: '/y' })).toBe('/x/data');
    expect(defaultDataDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/atkd/cifar-100');
    expect(defaultDataDir({})).toMatch(/\.cache\/atkd\/cifar-100$/);
  });
});
