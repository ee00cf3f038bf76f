// A small, strict reader for the zip archives that torch.save writes (torch >= 1.6).
//
// Torch's writer (miniz, PyTorchStreamWriter) stores every record uncompressed, pads the local header's
// extra field so that each record's data starts on a 64-byte boundary, and switches to zip64 records
// only for archives over 4 GiB. This reader walks the central directory, takes each record's data offset
// from its local header (the padding lives only there), supports stored and deflated records, zip64
// end records and zip64 extra fields, and checks every record's CRC-32.
import * as zlib from 'node:zlib';
import { TorchCheckpointError } from './errors.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** One record of a zip archive. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the record's local header in the archive. */
  readonly localHeaderOffset: number;
}

/** A parsed zip archive over an in-memory byte array. Record data is extracted on demand. */
export interface ZipArchive {
  /** Records in central-directory order, keyed by name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The uncompressed bytes of a record (a view into the archive for stored records). */
  read(name: string): Uint8Array;
}

/** True when the bytes begin with a zip local-file or end-of-central-directory signature. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

function u64(view: DataView, at: number, file: string, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new TorchCheckpointError(file, `zip ${what} ${v} is too large`);
  }
  return Number(v);
}

function findEocd(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (bytes[at] === 0x50 && view.getUint32(at, true) === SIG_EOCD) {
      const commentLength = view.getUint16(at + 20, true);
      if (at + EOCD_SIZE + commentLength === bytes.length) return at;
    }
  }
  return -1;
}

/**
 * Parses the central directory of a zip archive held in memory.
 * @param file a name for error messages.
 * @throws TorchCheckpointError when the bytes are not a (complete) zip archive.
 */
export function readZip(bytes: Uint8Array, file: string): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length >= EOCD_SIZE ? findEocd(bytes, view) : -1;
  if (eocd < 0) {
    if (looksLikeZip(bytes)) {
      throw new TorchCheckpointError(
        file,
        `zip archive is truncated or damaged: no end-of-central-directory record found (${bytes.length} bytes)`,
      );
    }
    throw new TorchCheckpointError(file, 'not a zip archive (no end-of-central-directory record)');
  }
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    throw new TorchCheckpointError(file, 'multi-disk (split) zip archives are not supported');
  }
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === SIG_ZIP64_LOCATOR) {
    const at = u64(view, locator + 8, file, 'zip64 end record offset');
    if (at + 56 > bytes.length || view.getUint32(at, true) !== SIG_ZIP64_EOCD) {
      throw new TorchCheckpointError(file, `zip64 end-of-central-directory record missing at offset ${at}`);
    }
    count = u64(view, at + 32, file, 'entry count');
    cdSize = u64(view, at + 40, file, 'central directory size');
    cdOffset = u64(view, at + 48, file, 'central directory offset');
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new TorchCheckpointError(file, 'zip archive needs a zip64 end record, but none was found');
  }
  if (cdOffset + cdSize > eocd) {
    throw new TorchCheckpointError(
      file,
      `zip archive is truncated or damaged: central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record at ${eocd}`,
    );
  }

  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8');
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || view.getUint32(at, true) !== SIG_CENTRAL) {
      throw new TorchCheckpointError(file, `zip central directory is damaged at entry ${i} (offset ${at})`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if ((flags & 1) !== 0) throw new TorchCheckpointError(file, `zip record ${name} is encrypted`);
    // zip64 extended information: only the fields that are 0xffffffff in the fixed header, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const len = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        const fields = [size, compressedSize, localHeaderOffset].filter((v) => v === 0xffffffff).length;
        if (len < 8 * fields || extra + 4 + len > extraEnd) {
          throw new TorchCheckpointError(file, `zip record ${name} has a damaged zip64 extra field`);
        }
        let p = extra + 4;
        const next = (what: string): number => {
          const v = u64(view, p, file, what);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('record size');
        if (compressedSize === 0xffffffff) compressedSize = next('record size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('record offset');
      }
      extra += 4 + len;
    }
    if (entries.has(name)) throw new TorchCheckpointError(file, `zip archive has two records named ${name}`);
    entries.set(name, { name, method, compressedSize, size, crc32: crc, localHeaderOffset });
    at = extraEnd + commentLength;
  }

  const read = (name: string): Uint8Array => {
    const entry = entries.get(name);
    if (!entry) throw new TorchCheckpointError(file, `zip archive has no record ${name}`);
    const h = entry.localHeaderOffset;
    if (h + 30 > bytes.length || view.getUint32(h, true) !== SIG_LOCAL) {
      throw new TorchCheckpointError(file, `zip record ${name}: local header missing at offset ${h}`);
    }
    const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
    const end = start + entry.compressedSize;
    if (end > bytes.length) {
      throw new TorchCheckpointError(file, `zip record ${name} is truncated (needs bytes ${start}..${end}, file has ${bytes.length})`);
    }
    const raw = bytes.subarray(start, end);
    let data: Uint8Array;
    if (entry.method === 0) {
      data = raw;
    } else if (entry.method === 8) {
      try {
        data = zlib.inflateRawSync(raw);
      } catch (e) {
        throw new TorchCheckpointError(file, `zip record ${name} cannot be inflated: ${(e as Error).message}`);
      }
    } else {
      throw new TorchCheckpointError(file, `zip record ${name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    }
    if (data.length !== entry.size) {
      throw new TorchCheckpointError(file, `zip record ${name} has ${data.length} bytes, its directory entry says ${entry.size}`);
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      throw new TorchCheckpointError(
        file,
        `zip record ${name} is corrupt: CRC-32 ${crc.toString(16)} differs from the recorded ${entry.crc32.toString(16)}`,
      );
    }
    return data;
  };
  return { entries, read };
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE) of bytes; uses node:zlib's native crc32 where the Node version has it. */
export function crc32(data: Uint8Array): number {
  // zlib.crc32 exists from Node 20.15 on; older Nodes fall back to the table below.
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  return typeof native === 'function' ? native(data) >>> 0 : crc32Js(data);
}

/** CRC-32 (IEEE) in plain JavaScript. */
export function crc32Js(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
