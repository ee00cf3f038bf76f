// Test helpers for the torch checkpoint reader: a minimal zip writer (stored / deflated records, optional
// zip64 records) and a byte-string builder for hand-written pickles.
import { deflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import { TorchCheckpointError } from '../src/torch/errors.js';
import { crc32 } from '../src/torch/zip.js';

export interface ZipInput {
  name: string;
  data: Uint8Array | string;
  deflate?: boolean;
}

/** Concatenates byte parts; strings are taken as Latin-1 (one byte per char), numbers as single bytes. */
export function bytes(...parts: (Uint8Array | string | number | number[])[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'string'
      ? Uint8Array.from(p, (c) => c.charCodeAt(0))
      : typeof p === 'number'
        ? Uint8Array.of(p)
        : Array.isArray(p)
          ? Uint8Array.from(p)
          : p,
  );
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Little-endian integer bytes. */
export function le(value: number, size: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 1) view.setUint8(0, value);
  else if (size === 2) view.setUint16(0, value, true);
  else if (size === 4) view.setUint32(0, value >>> 0, true);
  else view.setBigUint64(0, BigInt(value), true);
  return out;
}

/** Builds a zip archive. With zip64, sizes and offsets go to zip64 extra fields and a zip64 end record is written. */
export function buildZip(entries: ZipInput[], options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? encoder.encode(e.data) : e.data;
    const stored = e.deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const name = encoder.encode(e.name);
    const crc = crc32(data);
    const method = e.deflate ? 8 : 0;
    const localExtra = zip64 ? bytes(le(1, 2), le(16, 2), le(data.length, 8), le(stored.length, 8)) : new Uint8Array(0);
    const local = bytes(
      le(0x04034b50, 4), le(zip64 ? 45 : 20, 2), le(0x800, 2), le(method, 2), le(0, 2), le(0, 2), le(crc, 4),
      le(zip64 ? 0xffffffff : stored.length, 4), le(zip64 ? 0xffffffff : data.length, 4),
      le(name.length, 2), le(localExtra.length, 2), name, localExtra, stored,
    );
    const centralExtra = zip64
      ? bytes(le(1, 2), le(24, 2), le(data.length, 8), le(stored.length, 8), le(offset, 8))
      : new Uint8Array(0);
    centrals.push(
      bytes(
        le(0x02014b50, 4), le(45, 2), le(zip64 ? 45 : 20, 2), le(0x800, 2), le(method, 2), le(0, 2), le(0, 2),
        le(crc, 4), le(zip64 ? 0xffffffff : stored.length, 4), le(zip64 ? 0xffffffff : data.length, 4),
        le(name.length, 2), le(centralExtra.length, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 4),
        le(zip64 ? 0xffffffff : offset, 4), name, centralExtra,
      ),
    );
    locals.push(local);
    offset += local.length;
  }
  const cd = bytes(...centrals);
  const tail: Uint8Array[] = [];
  if (zip64) {
    const eocd64At = offset + cd.length;
    tail.push(
      bytes(
        le(0x06064b50, 4), le(44, 8), le(45, 2), le(45, 2), le(0, 4), le(0, 4),
        le(entries.length, 8), le(entries.length, 8), le(cd.length, 8), le(offset, 8),
      ),
      bytes(le(0x07064b50, 4), le(0, 4), le(eocd64At, 8), le(1, 4)),
    );
  }
  tail.push(
    bytes(
      le(0x06054b50, 4), le(0, 2), le(0, 2), le(zip64 ? 0xffff : entries.length, 2), le(zip64 ? 0xffff : entries.length, 2),
      le(zip64 ? 0xffffffff : cd.length, 4), le(zip64 ? 0xffffffff : offset, 4), le(0, 2),
    ),
  );
  return bytes(...locals, cd, ...tail);
}

/** Pickle opcodes as Latin-1 strings, for hand-written pickles. */
export const OP = {
  PROTO2: '\x80\x02',
  EMPTY_DICT: '}',
  EMPTY_TUPLE: ')',
  MARK: '(',
  TUPLE: 't',
  TUPLE2: '\x86',
  REDUCE: 'R',
  SETITEMS: 'u',
  SETITEM: 's',
  BINPERSID: 'Q',
  NEWFALSE: '\x89',
  STOP: '.',
  global: (module: string, name: string) => `c${module}\n${name}\n`,
  str: (s: string) => bytes('X', le(s.length, 4), s),
  int1: (v: number) => bytes('K', v),
};

/** A hand-written torch data.pkl: a dict of float32 tensors over storages, plus extra raw pickle entries. */
export function torchPickle(
  tensors: { name: string; key: string; numel: number; offset?: number; shape: number[]; stride: number[]; storage?: string }[],
  extra: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const parts: Uint8Array[] = [bytes(OP.PROTO2, OP.EMPTY_DICT, OP.MARK)];
  const tuple = (xs: number[]) => bytes(OP.MARK, ...xs.map((x) => OP.int1(x)), OP.TUPLE);
  for (const t of tensors) {
    parts.push(
      bytes(
        OP.str(t.name), OP.global('torch._utils', '_rebuild_tensor_v2'), OP.MARK,
        OP.MARK, OP.str('storage'), OP.global('torch', t.storage ?? 'FloatStorage'), OP.str(t.key), OP.str('cpu'), OP.int1(t.numel), OP.TUPLE,
        OP.BINPERSID, OP.int1(t.offset ?? 0), tuple(t.shape), tuple(t.stride), OP.NEWFALSE,
        OP.global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE,
      ),
    );
  }
  parts.push(extra, bytes(OP.SETITEMS, OP.STOP));
  return bytes(...parts);
}

/** Float32 values as little-endian bytes. */
export function f32(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** The TorchCheckpointError that `fn` throws (fails the test if it throws nothing or another error). */
export function errorOf(fn: () => unknown): TorchCheckpointError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TorchCheckpointError);
    return e as TorchCheckpointError;
  }
  throw new Error('expected a TorchCheckpointError');
}
