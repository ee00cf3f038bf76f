/**
 * Writing and random-access reading of CIFAR-100 Arrow IPC files.
 *
 * Writing goes through apache-arrow's `RecordBatchFileWriter` into a temporary file in the target
 * directory that is renamed into place only when complete. Reading parses the file footer and each
 * record batch's metadata once (`CifarArrowFile.open`), keeps the small columns (`index`, `fine`,
 * `coarse`) in memory and reads image bytes on demand with positioned reads, so any row order costs
 * the same and nothing but the requested images is read.
 */
import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { commitTemp, tempPathFor } from '@atkd/fs';
import {
  FixedSizeBinary,
  Message,
  MessageHeader,
  RecordBatch,
  RecordBatchFileWriter,
  Struct,
  Uint32,
  Uint8,
  makeData,
  type Schema,
} from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { CifarDataError } from './errors.js';
import { COARSE_CLASSES, FINE_CLASSES, IMAGE_BYTES, decodeSchema, type CifarMeta } from './schema.js';

/** Rows as columns: what a record batch of the CIFAR schema holds. */
export interface CifarColumns {
  /** Number of rows. */
  length: number;
  /** Source record index of each row. */
  indices: Uint32Array;
  /** `length * 3072` image bytes (CHW, as stored). */
  images: Uint8Array;
  fine: Uint8Array;
  coarse: Uint8Array;
}

/** The record-batch metadata key holding the CRC-32 (8 hex digits) of the batch's columns, written by {@link writeArrowTemp}. */
export const BATCH_CRC32 = 'atkd.crc32';

/**
 * CRC-32 (zlib's) of a batch's column values in schema order: index (little-endian uint32), image,
 * fine, coarse bytes; the same value whichever way the bytes are padded or laid out in a file.
 */
export function columnsCrc32(cols: CifarColumns): number {
  const n = cols.length;
  const idx = cols.indices.subarray(0, n);
  let c = crc32(new Uint8Array(idx.buffer, idx.byteOffset, idx.byteLength));
  c = crc32(cols.images.subarray(0, n * IMAGE_BYTES), c);
  c = crc32(cols.fine.subarray(0, n), c);
  return crc32(cols.coarse.subarray(0, n), c);
}

function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

/** An Arrow record batch of `schema` over the given columns, without copying them (`metadata`: its record-batch metadata). */
export function columnsToRecordBatch(schema: Schema, cols: CifarColumns, metadata?: Map<string, string>): RecordBatch {
  const n = cols.length;
  if (cols.indices.length < n || cols.fine.length < n || cols.coarse.length < n || cols.images.length < n * IMAGE_BYTES) {
    throw new RangeError(`columns shorter than their length ${n}`);
  }
  const children = [
    makeData({ type: new Uint32(), length: n, nullCount: 0, data: cols.indices.subarray(0, n) }),
    makeData({ type: new FixedSizeBinary(IMAGE_BYTES), length: n, nullCount: 0, data: cols.images.subarray(0, n * IMAGE_BYTES) }),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: cols.fine.subarray(0, n) }),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: cols.coarse.subarray(0, n) }),
  ];
  const data = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
  return new RecordBatch(schema, data, metadata);
}

/** The columns of a record batch of the CIFAR schema (views, no copy). */
export function recordBatchToColumns(batch: RecordBatch): CifarColumns {
  const col = (name: string) => {
    const v = batch.getChild(name);
    if (v === null || v.data.length !== 1) throw new RangeError(`record batch column ${name} missing or chunked`);
    return v.data[0];
  };
  const n = batch.numRows;
  return {
    length: n,
    indices: col('index').values as Uint32Array,
    images: (col('image').values as Uint8Array).subarray(0, n * IMAGE_BYTES),
    fine: col('fine').values as Uint8Array,
    coarse: col('coarse').values as Uint8Array,
  };
}

async function writeFully(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/**
 * Writes an Arrow IPC file with `schema` and the given batches to a new temporary file next to `target`
 * and returns its path (the caller moves it into place with `commitTemp` of `@atkd/fs`, or removes it). On failure nothing remains.
 * Each record batch carries the CRC-32 of its columns ({@link BATCH_CRC32}), checked by {@link CifarArrowFile.open}.
 */
export async function writeArrowTemp(target: string, schema: Schema, batches: AsyncIterable<CifarColumns> | Iterable<CifarColumns>): Promise<string> {
  const tmp = tempPathFor(target);
  const fh = await open(tmp, 'wx');
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  const pump = (async () => {
    for await (const chunk of writer) await writeFully(fh, chunk);
  })();
  let pumpError: unknown;
  pump.catch((e: unknown) => {
    pumpError = e;
  });
  try {
    for await (const cols of batches) {
      if (pumpError !== undefined) throw pumpError;
      writer.write(columnsToRecordBatch(schema, cols, new Map([[BATCH_CRC32, hex32(columnsCrc32(cols))]])));
      // let the pump drain what this batch queued before making the next one
      await new Promise<void>((r) => setImmediate(r));
    }
    writer.close();
    await pump;
    await fh.close();
    return tmp;
  } catch (err) {
    writer.abort();
    await pump.catch(() => undefined);
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Writes a CIFAR-100 Arrow file atomically (`commitTemp` of `@atkd/fs`: temp file in the same directory, fsync, rename). */
export async function writeCifarArrow(target: string, schema: Schema, batches: AsyncIterable<CifarColumns> | Iterable<CifarColumns>): Promise<void> {
  await commitTemp(await writeArrowTemp(target, schema, batches), target);
}

const MAGIC = Buffer.from('ARROW1');

/** Throws a {@link CifarDataError} naming the first row whose label is not below `classes`. */
function checkLabels(path: string, labels: Uint8Array, classes: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new CifarDataError(path, `row ${i} has ${what} label ${labels[i]}, outside 0..${classes - 1}: the file is corrupted or not CIFAR-100`);
  }
}

async function readAt(fh: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new CifarDataError(file, `file ends at byte ${position + got}, expected ${length} bytes at ${position}`);
    got += bytesRead;
  }
  return buf;
}

/** One positioned read into `target`, as observed by {@link CifarArrowFile.onRead}. */
export interface ReadEvent {
  /** File position of the read. */
  position: number;
  /** Bytes read. */
  bytes: number;
}

/**
 * A CIFAR-100 Arrow IPC file opened for random access. The `index`, `fine` and `coarse` columns are
 * loaded at open (6 bytes a row); image bytes are read on request with positioned reads.
 */
export class CifarArrowFile {
  /** Source record index of every row. */
  readonly indices: Uint32Array;
  readonly fine: Uint8Array;
  readonly coarse: Uint8Array;
  /** Called after every positioned image read (instrumentation for tests and benchmarks). */
  onRead: ((e: ReadEvent) => void) | undefined;
  /** Image reads issued and image bytes read so far. */
  reads = 0;
  bytesRead = 0;
  private closed = false;
  /** The whole file, once {@link loadIntoMemory} has run. */
  private memory: Uint8Array | null = null;

  private constructor(
    /** The file's path. */
    readonly path: string,
    private readonly fh: FileHandle,
    /** The decoded schema metadata. */
    readonly meta: CifarMeta,
    /** The file's schema (with its metadata), for making record batches of the same schema. */
    readonly schema: Schema,
    private readonly imageOffsets: Float64Array,
    cols: { indices: Uint32Array; fine: Uint8Array; coarse: Uint8Array },
  ) {
    this.indices = cols.indices;
    this.fine = cols.fine;
    this.coarse = cols.coarse;
  }

  /** Number of rows. */
  get numRows(): number {
    return this.indices.length;
  }

  /** Whether {@link close} has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Whether the record batches' checksums were checked at open: `verified` (all matched), `absent`
   * (the file records none: written before atkd recorded them), `skipped` (`verify: false`).
   */
  checksums: 'verified' | 'absent' | 'skipped' = 'absent';

  /**
   * Opens `path`, checks it is an Arrow IPC file with the CIFAR-100 schema (uncompressed, no nulls),
   * loads its small columns and checks every label (fine 0..99, coarse 0..19). With `verify` (the
   * default) it also reads every record batch once and checks the CRC-32 recorded when it was written,
   * so flipped bytes are found before they are trained on. Throws a {@link CifarDataError} naming the
   * file (and the record batch or row) otherwise.
   */
  static async open(path: string, options: { verify?: boolean } = {}): Promise<CifarArrowFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (cause) {
      throw new CifarDataError(path, `cannot open (${(cause as NodeJS.ErrnoException).code ?? String(cause)}); import the data first: \`atkd data import --from <cifar-100-binary folder or .tar.gz>\` or \`atkd data fetch\``, { cause });
    }
    try {
      return await CifarArrowFile.parse(path, fh, options.verify ?? true);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  private static async parse(path: string, fh: FileHandle, verify: boolean): Promise<CifarArrowFile> {
    const { size } = await fh.stat();
    const notArrow = () => new CifarDataError(path, 'not an Arrow IPC file (no ARROW1 magic at both ends)');
    if (size < 18) throw notArrow();
    const head = await readAt(fh, path, 0, 6);
    const tail = await readAt(fh, path, size - 10, 10);
    if (!MAGIC.equals(head) || !MAGIC.equals(tail.subarray(4))) throw notArrow();
    const footerLength = Buffer.from(tail.buffer).readInt32LE(0);
    if (footerLength <= 0 || footerLength > size - 18) throw new CifarDataError(path, `bad Arrow footer length ${footerLength}`);
    let footer: Footer;
    try {
      footer = Footer.decode(await readAt(fh, path, size - 10 - footerLength, footerLength));
    } catch (cause) {
      throw new CifarDataError(path, 'unreadable Arrow footer', { cause });
    }
    const meta = decodeSchema(path, footer.schema);
    if (footer.numDictionaries !== 0) throw new CifarDataError(path, 'unexpected dictionary batches');
    type Region = { rows: number; body: number; index: number; image: number; fine: number; coarse: number; crc: string | undefined };
    const regions: Region[] = [];
    let rows = 0;
    for (let b = 0; b < footer.numRecordBatches; b++) {
      const block = footer.getRecordBatch(b);
      if (block === null) throw new CifarDataError(path, `record batch ${b} missing from the footer`);
      const metaBytes = await readAt(fh, path, block.offset, block.metaDataLength);
      const view = Buffer.from(metaBytes.buffer);
      const skip = view.readInt32LE(0) === -1 ? 8 : 4;
      let header;
      let crc: string | undefined;
      try {
        const message = Message.decode(metaBytes.subarray(skip));
        crc = message.metadata.get(BATCH_CRC32);
        if (message.headerType !== MessageHeader.RecordBatch) throw new Error(`message type ${message.headerType}`);
        header = message.header() as unknown as { length: number; nodes: { length: number; nullCount: number }[]; buffers: { offset: number; length: number }[]; compression: unknown };
      } catch (cause) {
        throw new CifarDataError(path, `record batch ${b}: unreadable metadata`, { cause });
      }
      const n = Number(header.length);
      if (header.compression) throw new CifarDataError(path, `record batch ${b} is compressed; write files uncompressed`);
      if (header.nodes.length !== 4 || header.buffers.length !== 8) throw new CifarDataError(path, `record batch ${b}: unexpected layout`);
      if (header.nodes.some((nd) => Number(nd.nullCount) !== 0)) throw new CifarDataError(path, `record batch ${b} has nulls`);
      const want = [4 * n, n * IMAGE_BYTES, n, n];
      for (let f = 0; f < 4; f++) {
        if (Number(header.buffers[2 * f + 1].length) < want[f]) throw new CifarDataError(path, `record batch ${b}: column ${f} holds too few bytes`);
      }
      const body = block.offset + block.metaDataLength;
      if (body + Number(block.bodyLength) > size) throw new CifarDataError(path, `record batch ${b} runs past the end of the file (truncated?)`);
      const at = (f: number) => body + Number(header.buffers[2 * f + 1].offset);
      regions.push({ rows: n, body, index: at(0), image: at(1), fine: at(2), coarse: at(3), crc });
      rows += n;
    }
    const indices = new Uint32Array(rows);
    const fine = new Uint8Array(rows);
    const coarse = new Uint8Array(rows);
    const imageOffsets = new Float64Array(rows);
    let r0 = 0;
    let withCrc = 0;
    for (const [b, g] of regions.entries()) {
      const idx = await readAt(fh, path, g.index, 4 * g.rows);
      indices.set(new Uint32Array(idx.buffer, 0, g.rows), r0);
      fine.set(await readAt(fh, path, g.fine, g.rows), r0);
      coarse.set(await readAt(fh, path, g.coarse, g.rows), r0);
      for (let i = 0; i < g.rows; i++) imageOffsets[r0 + i] = g.image + i * IMAGE_BYTES;
      if (g.crc !== undefined) withCrc += 1;
      if (verify && g.crc !== undefined) {
        let c = crc32(idx.subarray(0, 4 * g.rows));
        const chunk = 1 << 24;
        for (let at = 0; at < g.rows * IMAGE_BYTES; at += chunk) c = crc32(await readAt(fh, path, g.image + at, Math.min(chunk, g.rows * IMAGE_BYTES - at)), c);
        c = crc32(fine.subarray(r0, r0 + g.rows), c);
        c = crc32(coarse.subarray(r0, r0 + g.rows), c);
        if (hex32(c) !== g.crc) {
          throw new CifarDataError(path, `record batch ${b} (rows ${r0}..${r0 + g.rows - 1}) is corrupted: the CRC-32 of its columns is ${hex32(c)}, the file recorded ${g.crc} when it was written; import the data again`);
        }
      }
      r0 += g.rows;
    }
    checkLabels(path, fine, FINE_CLASSES, 'fine');
    checkLabels(path, coarse, COARSE_CLASSES, 'coarse');
    const file = new CifarArrowFile(path, fh, meta, footer.schema, imageOffsets, { indices, fine, coarse });
    file.checksums = withCrc === 0 ? 'absent' : verify ? 'verified' : 'skipped';
    return file;
  }

  /** Splits `rows` into runs adjacent both in `rows` and in the file: [slot, count, position] triples. */
  private runs(rows: ArrayLike<number>, target: Uint8Array): number[] {
    if (this.closed) throw new CifarDataError(this.path, 'read after close');
    const n = rows.length;
    if (target.length < n * IMAGE_BYTES) throw new RangeError(`target holds ${target.length} bytes, ${n} images need ${n * IMAGE_BYTES}`);
    const out: number[] = [];
    let s = 0;
    while (s < n) {
      const r = rows[s];
      if (!(r >= 0 && r < this.numRows)) throw new RangeError(`row ${r} out of range 0..${this.numRows - 1}`);
      const position = this.imageOffsets[r];
      let e = s + 1;
      while (e < n && rows[e] >= 0 && rows[e] < this.numRows && this.imageOffsets[rows[e]] === position + (e - s) * IMAGE_BYTES) e++;
      out.push(s, e - s, position);
      s = e;
    }
    return out;
  }

  /**
   * Reads the images of `rows` (row numbers, any order, repeats allowed) into `target`, row `rows[i]` at
   * `target[i * 3072 ...]`, through libuv's thread pool (does not block the event loop). Rows adjacent
   * both in `rows` and in the file are read with one read.
   */
  async readImages(rows: ArrayLike<number>, target: Uint8Array): Promise<void> {
    if (this.memory) return this.readImagesSync(rows, target);
    const runs = this.runs(rows, target);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < runs.length; i += 3) pending.push(this.readInto(target, runs[i] * IMAGE_BYTES, runs[i + 1] * IMAGE_BYTES, runs[i + 2]));
    await Promise.all(pending);
  }

  /**
   * Like {@link readImages} with synchronous positioned reads: blocks the event loop for the reads
   * (about a millisecond for 128 images from the page cache) and is several times faster.
   */
  readImagesSync(rows: ArrayLike<number>, target: Uint8Array): void {
    const runs = this.runs(rows, target);
    const memory = this.memory;
    if (memory) {
      for (let i = 0; i < runs.length; i += 3) {
        const at = runs[i + 2];
        target.set(memory.subarray(at, at + runs[i + 1] * IMAGE_BYTES), runs[i] * IMAGE_BYTES);
      }
      return;
    }
    for (let i = 0; i < runs.length; i += 3) {
      const offset = runs[i] * IMAGE_BYTES;
      const length = runs[i + 1] * IMAGE_BYTES;
      const position = runs[i + 2];
      let got = 0;
      while (got < length) {
        const bytesRead = readSync(this.fh.fd, target, offset + got, length - got, position + got);
        if (bytesRead === 0) throw new CifarDataError(this.path, `file ends at byte ${position + got} (truncated?)`);
        got += bytesRead;
      }
      this.reads += 1;
      this.bytesRead += length;
      this.onRead?.({ position, bytes: length });
    }
  }

  private async readInto(target: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(target, offset + got, length - got, position + got);
      if (bytesRead === 0) throw new CifarDataError(this.path, `file ends at byte ${position + got} (truncated?)`);
      got += bytesRead;
    }
    this.reads += 1;
    this.bytesRead += length;
    this.onRead?.({ position, bytes: length });
  }

  /** Closes the file (idempotent). */
  /** Whether the file is held in memory ({@link loadIntoMemory}). */
  get inMemory(): boolean {
    return this.memory !== null;
  }

  /**
   * Reads the whole file into memory with large sequential reads (reported to {@link onRead}); from
   * then on image reads are memory copies, with no system call per image. Costs the file's size in memory.
   */
  async loadIntoMemory(): Promise<void> {
    if (this.memory) return;
    const { size } = await this.fh.stat();
    const memory = new Uint8Array(size);
    const chunk = 1 << 24;
    for (let at = 0; at < size; at += chunk) {
      const length = Math.min(chunk, size - at);
      await this.readInto(memory, at, length, at);
    }
    this.memory = memory;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.memory = null;
    await this.fh.close();
  }
}
