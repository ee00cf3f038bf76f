/**
 * `importCifar100`: the official CIFAR-100 binary data (extracted folder, or the `.tar.gz` read as a
 * stream) into two Arrow IPC files, `train.arrow` and `test.arrow`.
 *
 * Two passes over the source. The first checks everything (layout, sizes, every record's labels, the
 * label-name files) and hashes it, so that bad input fails before anything is written and the schema
 * metadata can carry the source checksums. The second writes both files to temporary files in the target
 * directory; only when both are complete (and the source hashed the same again) are they renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { commitTemp, removeStaleTemps } from '@atkd/fs';
import { writeArrowTemp, type CifarColumns } from './arrow-io.js';
import { CifarDataError } from './errors.js';
import { defaultDataDir, splitFile } from './paths.js';
import { parseLabelNames, RecordParser, type RecordColumns } from './records.js';
import {
  COARSE_CLASSES,
  FINE_CLASSES,
  FORMAT,
  LABEL_FILES,
  RECORD_BYTES,
  ROWS_PER_RECORD_BATCH,
  SOURCE_FILES,
  cifarSchema,
  type CifarMeta,
  type CifarSource,
  type Split,
} from './schema.js';
import { tarEntries } from './tar.js';

/** Progress of an import: `check` is the first pass over the source, `write` the second. */
export interface ImportProgress {
  phase: 'check' | 'write';
  /** Source bytes processed in this phase (archive bytes for an archive). */
  bytes: number;
  /** Source bytes the phase will process. */
  totalBytes: number;
}

export interface ImportOptions {
  /** The folder the official archive extracts to, or the archive itself (`.tar.gz`, or an uncompressed `.tar`). */
  from: string;
  /** Target directory (created if missing); default {@link defaultDataDir}. */
  to?: string;
  /** Called as bytes are processed (often; throttle if you print). */
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportResult {
  /** The data directory written. */
  dir: string;
  /** Paths of the files written. */
  files: Record<Split, string>;
  /** Their decoded schema metadata. */
  meta: Record<Split, CifarMeta>;
}

const MEMBERS = new Set<string>([SOURCE_FILES.train, SOURCE_FILES.test, LABEL_FILES.fine, LABEL_FILES.coarse]);

interface Member {
  /** Canonical name: `train.bin`, `test.bin`, `fine_label_names.txt`, `coarse_label_names.txt`. */
  name: string;
  /** How errors name it (path, or `archive:member`). */
  label: string;
  size: number;
  body: AsyncIterable<Uint8Array>;
}

interface Walked {
  totalBytes: number;
  archive?: { name: string; md5: string; sha256: string };
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Calls `visit` for each of the four source members of `from` (folder or archive), in source order. */
async function walkSource(from: string, visit: (m: Member) => Promise<void>, onBytes: (n: number) => void): Promise<Walked> {
  let st;
  try {
    st = await stat(from);
  } catch (cause) {
    throw new CifarDataError(from, 'not found: give the folder the official cifar-100-binary.tar.gz extracts to, or the archive itself', { cause });
  }
  if (st.isDirectory()) {
    const names = [LABEL_FILES.fine, LABEL_FILES.coarse, SOURCE_FILES.train, SOURCE_FILES.test];
    const sizes: number[] = [];
    for (const name of names) {
      const path = join(from, name);
      const s = await stat(path).catch(() => null);
      if (s === null || !s.isFile()) {
        throw new CifarDataError(path, `missing: a CIFAR-100 binary folder holds ${names.join(', ')}`);
      }
      sizes.push(s.size);
    }
    const totalBytes = sizes[2] + sizes[3];
    for (let i = 0; i < names.length; i++) {
      const path = join(from, names[i]);
      const isBin = i >= 2;
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      const body = isBin ? counted(stream, onBytes) : stream;
      await visit({ name: names[i], label: path, size: sizes[i], body });
    }
    return { totalBytes };
  }

  // An archive: hash its bytes as they stream by, gunzip if needed, walk the tar entries.
  const gz = await isGzip(from);
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha.update(chunk);
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  const raw = createReadStream(from, { highWaterMark: 1 << 20 });
  let failure: unknown;
  const last: Readable = gz
    ? pipeline(raw, hashing, createGunzip({ chunkSize: 1 << 18 }), (e) => (failure ??= e ?? undefined))
    : pipeline(raw, hashing, (e) => (failure ??= e ?? undefined));
  const it = last[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const bytes: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          return await it.next();
        } catch (cause) {
          throw new CifarDataError(from, gz ? `corrupt gzip data (${(cause as Error).message})` : `read failed (${(cause as Error).message})`, { cause });
        }
      },
    }),
  };
  const seen = new Map<string, string>();
  try {
    for await (const entry of tarEntries(bytes, from)) {
      const name = basename(entry.name);
      if (!MEMBERS.has(name)) continue;
      const label = `${from}:${entry.name}`;
      const before = seen.get(name);
      if (before !== undefined) throw new CifarDataError(label, `second ${name} in the archive (first: ${before})`);
      seen.set(name, entry.name);
      await visit({ name, label, size: entry.size, body: entry.body });
    }
    for (const name of MEMBERS) {
      if (!seen.has(name)) throw new CifarDataError(from, `archive lacks ${name}; expected the official cifar-100-binary.tar.gz`);
    }
    // the rest of the archive (tar end blocks, padding) still counts for its checksum
    for await (const _ of bytes) void _;
  } catch (err) {
    raw.destroy();
    last.destroy();
    throw err;
  }
  if (failure) throw new CifarDataError(from, `read failed (${String(failure)})`, { cause: failure });
  return { totalBytes: 0, archive: { name: basename(from), md5: md5.digest('hex'), sha256: sha.digest('hex') } };
}

async function* counted(stream: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const c of stream) {
    onBytes(c.length);
    yield c;
  }
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(Uint8Array.from(c));
  return Buffer.concat(parts);
}

function sizeCheck(m: Member): void {
  if (m.size % RECORD_BYTES !== 0) {
    throw new CifarDataError(
      m.label,
      `size ${m.size} bytes is not a whole number of ${RECORD_BYTES}-byte records (${Math.floor(m.size / RECORD_BYTES)} records and ${m.size % RECORD_BYTES} bytes): not the CIFAR-100 binary version, or truncated`,
      { record: Math.floor(m.size / RECORD_BYTES) },
    );
  }
}

async function hashRecords(m: Member, sha: Hash, parser: RecordParser): Promise<void> {
  for await (const chunk of m.body) {
    sha.update(chunk);
    parser.push(chunk);
  }
}

const splitOf = (name: string): Split | undefined => (name === SOURCE_FILES.train ? 'train' : name === SOURCE_FILES.test ? 'test' : undefined);

/**
 * Imports CIFAR-100 from `from` (the extracted folder or the archive, streamed, never extracted) into
 * `to/train.arrow` and `to/test.arrow`. Bad input is a {@link CifarDataError} naming the file and
 * record, raised before anything is written; an output file is only ever replaced by a complete one
 * (temp file + rename), and temp files are removed on failure.
 */
export async function importCifar100(options: ImportOptions): Promise<ImportResult> {
  const { from, onProgress } = options;
  const dir = options.to ?? defaultDataDir();
  const st = await stat(from).catch(() => null);
  const binSizes = st?.isDirectory()
    ? await Promise.all([SOURCE_FILES.train, SOURCE_FILES.test].map((f) => stat(join(from, f)).then((s) => s.size, () => 0)))
    : [st?.size ?? 0];
  const totalBytes = binSizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const progress = (phase: ImportProgress['phase']) => (n: number) => {
    done += n;
    onProgress?.({ phase, bytes: done, totalBytes });
  };

  // Pass 1: check and hash.
  let fine: string[] | undefined;
  let coarse: string[] | undefined;
  const sources: Partial<Record<Split, Omit<CifarSource, 'archive'>>> = {};
  const checked = await walkSource(
    from,
    async (m) => {
      if (m.name === LABEL_FILES.fine) fine = parseLabelNames(m.label, await readAll(m.body), FINE_CLASSES);
      else if (m.name === LABEL_FILES.coarse) coarse = parseLabelNames(m.label, await readAll(m.body), COARSE_CLASSES);
      else {
        const split = splitOf(m.name)!;
        sizeCheck(m);
        const sha = createHash('sha256');
        const parser = new RecordParser(m.label, 0);
        await hashRecords(m, sha, parser);
        parser.end();
        sources[split] = { file: m.name, bytes: m.size, records: parser.records, sha256: sha.digest('hex') };
      }
    },
    progress('check'),
  );
  if (!fine || !coarse || !sources.train || !sources.test) throw new CifarDataError(from, 'incomplete source');
  const meta = {} as Record<Split, CifarMeta>;
  for (const split of ['train', 'test'] as const) {
    meta[split] = {
      format: FORMAT,
      split,
      fineLabelNames: fine,
      coarseLabelNames: coarse,
      source: checked.archive ? { ...sources[split]!, archive: checked.archive } : sources[split]!,
    };
  }

  // Pass 2: write temp files, then rename both into place.
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir); // left by an import that was killed mid-write
  const temps: Partial<Record<Split, string>> = {};
  done = 0;
  try {
    await walkSource(
      from,
      async (m) => {
        const split = splitOf(m.name);
        if (split === undefined) {
          for await (const _ of m.body) void _;
          return;
        }
        const sha = createHash('sha256');
        const parser = new RecordParser(m.label, ROWS_PER_RECORD_BATCH);
        async function* groups(): AsyncGenerator<CifarColumns> {
          for await (const chunk of m.body) {
            sha.update(chunk);
            for (const g of parser.push(chunk)) yield withIndices(g);
          }
          for (const g of parser.end()) yield withIndices(g);
        }
        temps[split] = await writeArrowTemp(splitFile(dir, split), cifarSchema(meta[split]), groups());
        const again = sha.digest('hex');
        if (again !== meta[split].source.sha256) throw new CifarDataError(m.label, 'changed while being imported (checksum differs between the two passes)');
      },
      progress('write'),
    );
    const files = { train: splitFile(dir, 'train'), test: splitFile(dir, 'test') };
    for (const split of ['train', 'test'] as const) {
      await commitTemp(temps[split]!, files[split]);
      delete temps[split];
    }
    return { dir, files, meta };
  } finally {
    for (const t of Object.values(temps)) if (t) await rm(t, { force: true });
  }
}

function withIndices(g: RecordColumns): CifarColumns {
  const indices = new Uint32Array(g.length);
  for (let i = 0; i < g.length; i++) indices[i] = g.start + i;
  return { length: g.length, indices, images: g.images, fine: g.fine, coarse: g.coarse };
}
