/**
 * The teacher-logits cache: the logits of one non-augmented pass of a teacher over a CIFAR Arrow file,
 * kept in an Arrow IPC file (`index: uint32`, `teacher_logits: FixedSizeList<Float32>[classes]`) and
 * looked up by the image `index` instead of running the teacher again. The schema metadata records the
 * teacher's fingerprint and the data file's source checksum and split, and both are checked on use.
 * The file is written atomically (temp file in the same directory, then rename).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@atkd/fs';
import type * as tf from '@tensorflow/tfjs';
import { ColumnError, TEACHER_LOGITS, isUintType, logitsData, readLogits } from '@atkd/columns';
import { CifarArrowFile, cifarBatches, type CifarBatch } from '@atkd/data';
import { Field, RecordBatch, Schema, Struct, Table, Uint32, makeData, tableFromIPC, tableToIPC, type DataType } from 'apache-arrow';
import { lastValueFrom, tap } from 'rxjs';
import { modelFingerprint } from './fingerprint.js';
import { modelClasses, predictLogits, type TeacherOptions } from './logits.js';

/** The `format` schema metadata value of a logits cache file. */
export const CACHE_FORMAT = 'atkd-teacher-logits/1';

/** Schema metadata keys of a logits cache file. */
export const CACHE_META = {
  format: 'format',
  fingerprint: 'atkd.teacher.fingerprint',
  sourceSha256: 'atkd.data.source_sha256',
  split: 'atkd.data.split',
  normalize: 'atkd.teacher.normalize',
  classes: 'atkd.teacher.classes',
} as const;

/** A cache error: names the file and what does not match. */
export class LogitsCacheError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'LogitsCacheError';
  }
}

export interface CacheProgress {
  /** Images done so far. */
  done: number;
  /** Images in the file. */
  total: number;
  /** Images per second so far. */
  rate: number;
}

export interface WriteCacheOptions extends TeacherOptions {
  /** Rows read per batch from the data file (default 256). */
  readBatchSize?: number;
  /** Called after every batch (progress bar, rate, ETA). */
  onProgress?: (p: CacheProgress) => void;
  /** Description of the input normalisation, recorded in the metadata (default `cifar100-mean-std`, or `custom` when `normalize` is given). */
  normalizeName?: string;
}

/**
 * Runs `model` over every row of the CIFAR Arrow file `dataFile` in file order, without augmentation,
 * and writes the logits cache `target`. Returns the number of rows written.
 */
export async function writeLogitsCache(target: string, model: tf.LayersModel, dataFile: string, options: WriteCacheOptions = {}): Promise<number> {
  const classes = modelClasses(model);
  const indices: Uint32Array[] = [];
  const logits: Float32Array[] = [];
  let meta: CifarBatch['meta'] | undefined;
  let done = 0;
  const probe = await CifarArrowFile.open(dataFile);
  const total = probe.numRows;
  await probe.close();
  const started = performance.now();
  await lastValueFrom(
    cifarBatches(dataFile, { batchSize: options.readBatchSize ?? 256, augment: false, shuffle: false, epochs: 1 }).pipe(
      tap((batch) => {
        meta = batch.meta;
        indices.push(Uint32Array.from(batch.indices));
        logits.push(predictLogits(model, batch.images, options));
        done += batch.size;
        const seconds = (performance.now() - started) / 1000;
        options.onProgress?.({ done, total, rate: seconds > 0 ? done / seconds : 0 });
      }),
    ),
    { defaultValue: undefined },
  );
  if (meta === undefined || done === 0) throw new LogitsCacheError(dataFile, 'has no rows; nothing to cache');
  const index = new Uint32Array(done);
  const values = new Float32Array(done * classes);
  let at = 0;
  for (let i = 0; i < indices.length; i++) {
    index.set(indices[i], at);
    values.set(logits[i], at * classes);
    at += indices[i].length;
  }
  const metadata = new Map<string, string>([
    [CACHE_META.format, CACHE_FORMAT],
    [CACHE_META.fingerprint, modelFingerprint(model)],
    [CACHE_META.sourceSha256, meta.source.sha256],
    [CACHE_META.split, meta.split],
    [CACHE_META.normalize, options.normalizeName ?? (options.normalize === undefined ? 'cifar100-mean-std' : 'custom')],
    [CACHE_META.classes, String(classes)],
  ]);
  const logitsColumn = logitsData(values, classes);
  const fields = [new Field('index', new Uint32(), false), new Field(TEACHER_LOGITS, logitsColumn.type as DataType, false)];
  const schema = new Schema(fields, metadata);
  const data = makeData({ type: new Struct(fields), length: done, nullCount: 0, children: [makeData({ type: new Uint32(), length: done, nullCount: 0, data: index }), logitsColumn] });
  await writeFileAtomic(target, tableToIPC(new Table([new RecordBatch(schema, data)]), 'file'));
  return done;
}

/** What a cache must match (any field left out is not checked). */
export interface CacheExpectation {
  /** The teacher: its fingerprint must equal the cache's. */
  model?: tf.LayersModel;
  /** A fingerprint computed earlier (instead of `model`). */
  fingerprint?: string;
  /** SHA-256 of the data's source file (`source_sha256` schema metadata of a CIFAR Arrow file). */
  sourceSha256?: string;
  /** Data split (`train` / `test`). */
  split?: string;
}

/** An opened logits cache: lookup of teacher logits by image index. */
export class LogitsCache {
  readonly file: string;
  readonly classes: number;
  readonly fingerprint: string;
  readonly sourceSha256: string;
  readonly split: string;
  readonly rows: number;
  private readonly values: Float32Array;
  private readonly position: Int32Array;

  private constructor(file: string, table: Table) {
    this.file = file;
    const md = table.schema.metadata;
    const need = (key: string): string => {
      const v = md.get(key);
      if (v === undefined) throw new LogitsCacheError(file, `schema metadata lacks "${key}"; not an atkd teacher-logits cache`);
      return v;
    };
    if (need(CACHE_META.format) !== CACHE_FORMAT) throw new LogitsCacheError(file, `schema metadata "format" is ${JSON.stringify(md.get('format'))}, expected "${CACHE_FORMAT}"`);
    this.fingerprint = need(CACHE_META.fingerprint);
    this.sourceSha256 = need(CACHE_META.sourceSha256);
    this.split = need(CACHE_META.split);
    if (table.batches.length !== 1) throw new LogitsCacheError(file, `holds ${table.batches.length} record batches, expected 1`);
    const batch = table.batches[0];
    let col;
    try {
      col = readLogits(batch, TEACHER_LOGITS, undefined, file);
    } catch (e) {
      throw new LogitsCacheError(file, (e as Error).message);
    }
    this.classes = col.classes;
    this.values = col.values;
    this.rows = batch.numRows;
    const indexVector = batch.getChild('index');
    if (indexVector === null || !isUintType(indexVector.type, 32)) throw new LogitsCacheError(file, 'column "index" is missing or not Uint32');
    const indices = indexVector.data[0].values as Uint32Array;
    let max = 0;
    for (let i = 0; i < this.rows; i++) max = Math.max(max, indices[i]);
    this.position = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < this.rows; i++) {
      if (this.position[indices[i]] !== -1) throw new LogitsCacheError(file, `column "index" holds ${indices[i]} twice`);
      this.position[indices[i]] = i;
    }
  }

  /** Opens and indexes a cache file written by {@link writeLogitsCache}. */
  static async open(file: string): Promise<LogitsCache> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new LogitsCacheError(file, `cannot read: ${(e as Error).message}`);
    }
    let table: Table;
    try {
      table = tableFromIPC(bytes);
    } catch (e) {
      throw new LogitsCacheError(file, `not an Arrow IPC file (${(e as Error).message})`);
    }
    return new LogitsCache(file, table);
  }

  /** Throws a {@link LogitsCacheError} naming the first field of `expect` the cache does not match. */
  verify(expect: CacheExpectation): void {
    if (expect.model !== undefined) {
      const classes = modelClasses(expect.model);
      if (classes !== this.classes) throw new LogitsCacheError(this.file, `holds ${this.classes} classes, the teacher outputs ${classes}`);
    }
    const fp = expect.fingerprint ?? (expect.model === undefined ? undefined : modelFingerprint(expect.model));
    if (fp !== undefined && fp !== this.fingerprint) {
      throw new LogitsCacheError(this.file, `was written by another teacher (fingerprint ${this.fingerprint.slice(0, 12)}…, this teacher ${fp.slice(0, 12)}…)`);
    }
    if (expect.sourceSha256 !== undefined && expect.sourceSha256 !== this.sourceSha256) {
      throw new LogitsCacheError(this.file, `was written for other data (source_sha256 ${this.sourceSha256.slice(0, 12)}…, the data ${expect.sourceSha256.slice(0, 12)}…)`);
    }
    if (expect.split !== undefined && expect.split !== this.split) {
      throw new LogitsCacheError(this.file, `was written for the ${this.split} split, the data is ${expect.split}`);
    }
  }

  /** True when the cache holds image `index`. */
  has(index: number): boolean {
    return index < this.position.length && this.position[index] >= 0;
  }

  /** The logits of the images `indices`, row-major (a new array). Throws naming the first index not cached. */
  lookup(indices: ArrayLike<number>): Float32Array {
    const C = this.classes;
    const out = new Float32Array(indices.length * C);
    for (let i = 0; i < indices.length; i++) {
      const idx = indices[i];
      const at = idx < this.position.length ? this.position[idx] : -1;
      if (at < 0) throw new ColumnError('index', `row ${i} is image ${idx}, which the logits cache ${this.file} does not hold`);
      out.set(this.values.subarray(at * C, (at + 1) * C), i * C);
    }
    return out;
  }
}
