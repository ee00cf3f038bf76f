import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { IMAGE_BYTES, RECORD_BYTES, type AugmentParams } from '../src/index.js';

export const here = dirname(fileURLToPath(import.meta.url));
/** Where the full data lives relative to the repo root (../shared/data/cifar-100-binary). */
export const FULL_DATA = resolve(here, '..', '..', '..', '..', 'shared', 'data', 'cifar-100-binary');

const created: string[] = [];
// registered while the importing test file is collected: runs after all of that file's tests
afterAll(async () => {
  for (const d of created.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test file's tests. */
export async function tempDir(prefix = 'atkd-data-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

export async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

/** Fine label of synthetic record i, and its coarse class (fine % 20, a consistent mapping). */
export const fineOf = (i: number, seed: number) => (i * 37 + seed) % 100;
export const coarseOf = (fine: number) => fine % 20;

/** `n` synthetic records in the official layout. */
export function records(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n * RECORD_BYTES);
  const img = bytes(n * IMAGE_BYTES, seed + 1);
  for (let i = 0; i < n; i++) {
    const fine = fineOf(i, seed);
    out[i * RECORD_BYTES] = coarseOf(fine);
    out[i * RECORD_BYTES + 1] = fine;
    out.set(img.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), i * RECORD_BYTES + 2);
  }
  return out;
}

export const FINE_NAMES = Array.from({ length: 100 }, (_, i) => `fine_${String(i).padStart(2, '0')}`);
export const COARSE_NAMES = Array.from({ length: 20 }, (_, i) => `coarse_${String(i).padStart(2, '0')}`);

export type SourceFiles = {
  'train.bin': Uint8Array;
  'test.bin': Uint8Array;
  'fine_label_names.txt': Uint8Array;
  'coarse_label_names.txt': Uint8Array;
};

export function sourceFiles(nTrain = 1234, nTest = 345): SourceFiles {
  return {
    'train.bin': records(nTrain, 1),
    'test.bin': records(nTest, 2),
    'fine_label_names.txt': Buffer.from(`${FINE_NAMES.join('\n')}\n`),
    'coarse_label_names.txt': Buffer.from(`${COARSE_NAMES.join('\n')}\n`),
  };
}

export async function writeFolder(dir: string, files: Partial<Record<string, Uint8Array>>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) if (data) await writeFile(join(dir, name), data);
  return dir;
}

function octal(v: number, width: number): string {
  return `${v.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A tar archive (ustar; names over 100 bytes get a GNU `L` long-name entry), optionally gzipped. */
export function tarball(entries: { name: string; data?: Uint8Array; dir?: boolean }[], gzip = true): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  for (const e of entries) {
    if (Buffer.byteLength(e.name) > 100) {
      const long = Buffer.from(`${e.name}\0`);
      parts.push(header('././@LongLink', long.length, 'L'), long, pad(long.length));
    }
    if (e.dir) {
      parts.push(header(e.name, 0, '5'));
      continue;
    }
    const data = Buffer.from(e.data ?? new Uint8Array(0));
    parts.push(header(e.name, data.length, '0'), data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return gzip ? gzipSync(tar, { level: 1 }) : tar;
}

/** The official archive layout holding `files`, in a mixed order (label names after the data). */
export function cifarTarball(files: SourceFiles, gzip = true): Buffer {
  return tarball(
    [
      { name: 'cifar-100-binary/', dir: true },
      { name: 'cifar-100-binary/test.bin', data: files['test.bin'] },
      { name: 'cifar-100-binary/fine_label_names.txt', data: files['fine_label_names.txt'] },
      { name: 'cifar-100-binary/train.bin', data: files['train.bin'] },
      { name: 'cifar-100-binary/coarse_label_names.txt', data: files['coarse_label_names.txt'] },
    ],
    gzip,
  );
}

export const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The image bytes of record i of an official-layout buffer. */
export function sourceImage(bin: Uint8Array, i: number): Uint8Array {
  return bin.subarray(i * RECORD_BYTES + 2, (i + 1) * RECORD_BYTES);
}

/** The textbook definition: pad by 4 zeros, take the 32 x 32 window at (4 + dy, 4 + dx), then mirror. */
export function reference(src: Uint8Array, p: AugmentParams): Uint8Array {
  const P = 40;
  const padded = new Uint8Array(3 * P * P);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) padded[c * P * P + (y + 4) * P + x + 4] = src[c * 1024 + y * 32 + x];
  const crop = new Uint8Array(IMAGE_BYTES);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) crop[c * 1024 + y * 32 + x] = padded[c * P * P + (y + 4 + p.dy) * P + x + 4 + p.dx];
  if (!p.flip) return crop;
  const out = new Uint8Array(IMAGE_BYTES);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[c * 1024 + y * 32 + x] = crop[c * 1024 + y * 32 + 31 - x];
  return out;
}

export function allParams(): AugmentParams[] {
  const out: AugmentParams[] = [];
  for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) for (const flip of [false, true]) out.push({ dx, dy, flip });
  return out;
}

