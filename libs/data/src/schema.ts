import { Field, FixedSizeBinary, Schema, Type, Uint32, Uint8, type DataType, type Int } from 'apache-arrow';
import { CifarDataError } from './errors.js';

/** Side of a CIFAR image in pixels. */
export const IMAGE_SIZE = 32;
/** Colour channels (planes) of a CIFAR image. */
export const CHANNELS = 3;
/** Bytes of one image: 3 planes (R, G, B) of 32 x 32, row-major, exactly as the official binary stores them. */
export const IMAGE_BYTES = CHANNELS * IMAGE_SIZE * IMAGE_SIZE;
/** Bytes of one record of the official binary: coarse label, fine label, image. */
export const RECORD_BYTES = 2 + IMAGE_BYTES;
/** Number of fine classes. */
export const FINE_CLASSES = 100;
/** Number of coarse classes (superclasses). */
export const COARSE_CLASSES = 20;
/** Rows per Arrow record batch written by the importer. */
export const ROWS_PER_RECORD_BATCH = 1000;
/** The value of the `format` schema metadata key written by this version. */
export const FORMAT = 'atkd-cifar-100/1';

/** The two splits of CIFAR-100 and the source file each comes from. */
export type Split = 'train' | 'test';
export const SPLITS: readonly Split[] = ['train', 'test'];
export const SOURCE_FILES: Readonly<Record<Split, string>> = { train: 'train.bin', test: 'test.bin' };
export const LABEL_FILES = { fine: 'fine_label_names.txt', coarse: 'coarse_label_names.txt' } as const;

/** The source a file was imported from (schema metadata `source`). */
export interface CifarSource {
  /** Source file name (`train.bin` / `test.bin`). */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** Number of records in it. */
  records: number;
  /** SHA-256 (hex) of the source file's bytes. */
  sha256: string;
  /** When imported from an archive: its file name, MD5 and SHA-256 (hex) of the archive bytes. */
  archive?: { name: string; md5: string; sha256: string };
}

/** How a sample file was made (schema metadata `sample`), present only in sample files. */
export interface CifarSampleInfo {
  /** Rows kept per fine class. */
  perClass: number;
  /** The selection rule, in words. */
  rule: string;
  /** The command that made it. */
  command: string;
}

/** Everything the schema metadata of a CIFAR-100 Arrow file carries, decoded. */
export interface CifarMeta {
  format: string;
  split: Split;
  fineLabelNames: readonly string[];
  coarseLabelNames: readonly string[];
  source: CifarSource;
  sample?: CifarSampleInfo;
}

/** Same Arrow type, by typeId and the parameters of the types a CIFAR file uses (Int, FixedSizeBinary). */
function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  if (a.typeId === Type.Int) return (a as Int).bitWidth === (b as Int).bitWidth && (a as Int).isSigned === (b as Int).isSigned;
  if (a.typeId === Type.FixedSizeBinary) return (a as FixedSizeBinary).byteWidth === (b as FixedSizeBinary).byteWidth;
  return true;
}

/** The four fields, in order: `index: uint32`, `image: fixed_size_binary[3072]`, `fine: uint8`, `coarse: uint8`, none nullable. */
export function cifarFields(): Field[] {
  return [
    new Field('index', new Uint32(), false),
    new Field('image', new FixedSizeBinary(IMAGE_BYTES), false),
    new Field('fine', new Uint8(), false),
    new Field('coarse', new Uint8(), false),
  ];
}

/** Encodes `meta` as Arrow schema metadata (string keys, JSON for the structured values). */
export function encodeMeta(meta: CifarMeta): Map<string, string> {
  const m = new Map<string, string>([
    ['format', meta.format],
    ['split', meta.split],
    ['fine_label_names', JSON.stringify(meta.fineLabelNames)],
    ['coarse_label_names', JSON.stringify(meta.coarseLabelNames)],
    ['source', JSON.stringify(meta.source)],
    ['source_sha256', meta.source.sha256],
  ]);
  if (meta.source.archive) m.set('source_archive_md5', meta.source.archive.md5);
  if (meta.sample) m.set('sample', JSON.stringify(meta.sample));
  return m;
}

/** The schema of a CIFAR-100 Arrow file with `meta` as its metadata. */
export function cifarSchema(meta: CifarMeta): Schema {
  return new Schema(cifarFields(), encodeMeta(meta));
}

function jsonKey(file: string, metadata: Map<string, string>, key: string): unknown {
  const raw = metadata.get(key);
  if (raw === undefined) throw new CifarDataError(file, `schema metadata lacks "${key}"`);
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new CifarDataError(file, `schema metadata "${key}" is not JSON`, { cause });
  }
}

function stringList(file: string, value: unknown, key: string, length: number): string[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'string')) {
    throw new CifarDataError(file, `schema metadata "${key}" must be a list of ${length} names`);
  }
  return value as string[];
}

/**
 * Checks that `schema` is the CIFAR-100 schema (field names, types, order) and decodes its metadata.
 * Throws a {@link CifarDataError} naming `file` and the offending field or key otherwise.
 */
export function decodeSchema(file: string, schema: Schema): CifarMeta {
  const expected = cifarFields();
  if (schema.fields.length !== expected.length) {
    throw new CifarDataError(file, `not a CIFAR-100 Arrow file: ${schema.fields.length} fields, expected ${expected.map((f) => f.name).join(', ')}`);
  }
  expected.forEach((want, i) => {
    const got = schema.fields[i];
    if (got.name !== want.name || !sameType(want.type, got.type)) {
      throw new CifarDataError(file, `not a CIFAR-100 Arrow file: field ${i} is ${got.name}: ${String(got.type)}, expected ${want.name}: ${String(want.type)}`);
    }
  });
  const md = schema.metadata;
  const format = md.get('format');
  if (format !== FORMAT) throw new CifarDataError(file, `schema metadata "format" is ${JSON.stringify(format)}, expected "${FORMAT}"`);
  const split = md.get('split');
  if (split !== 'train' && split !== 'test') throw new CifarDataError(file, `schema metadata "split" is ${JSON.stringify(split)}, expected "train" or "test"`);
  const meta: CifarMeta = {
    format,
    split,
    fineLabelNames: stringList(file, jsonKey(file, md, 'fine_label_names'), 'fine_label_names', FINE_CLASSES),
    coarseLabelNames: stringList(file, jsonKey(file, md, 'coarse_label_names'), 'coarse_label_names', COARSE_CLASSES),
    source: jsonKey(file, md, 'source') as CifarSource,
  };
  if (md.has('sample')) meta.sample = jsonKey(file, md, 'sample') as CifarSampleInfo;
  return meta;
}
