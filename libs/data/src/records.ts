/**
 * Parsing and checking the official CIFAR-100 binary records from a byte stream that arrives in
 * arbitrary chunks: every record is `coarse (1 B) | fine (1 B) | image (3,072 B)`.
 */
import { CifarDataError } from './errors.js';
import { COARSE_CLASSES, FINE_CLASSES, IMAGE_BYTES, RECORD_BYTES } from './schema.js';

/** A group of consecutive records as columns. */
export interface RecordColumns {
  /** Index (in the source file) of the first record of the group. */
  start: number;
  /** Number of records. */
  length: number;
  /** `length * 3072` image bytes, as stored. */
  images: Uint8Array;
  fine: Uint8Array;
  coarse: Uint8Array;
}

/**
 * Checks records as their bytes stream in (labels in range; each fine class always under the same coarse
 * class) and, when `groupRows > 0`, gathers them into column groups of `groupRows` records.
 */
export class RecordParser {
  /** Records seen so far. */
  records = 0;
  private readonly pending = new Uint8Array(RECORD_BYTES);
  private pendingLength = 0;
  private readonly fineToCoarse = new Int16Array(FINE_CLASSES).fill(-1);
  private readonly fineFirstSeen = new Int32Array(FINE_CLASSES);
  private group: RecordColumns | null = null;

  /**
   * @param file names the source in errors
   * @param groupRows rows per output group; 0 only checks
   */
  constructor(
    private readonly file: string,
    private readonly groupRows = 0,
  ) {}

  /** Feeds the next chunk; returns the groups it completed. */
  push(chunk: Uint8Array): RecordColumns[] {
    const out: RecordColumns[] = [];
    let off = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(RECORD_BYTES - this.pendingLength, chunk.length);
      this.pending.set(chunk.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      off = take;
      if (this.pendingLength < RECORD_BYTES) return out;
      this.record(this.pending, 0, out);
      this.pendingLength = 0;
    }
    while (off + RECORD_BYTES <= chunk.length) {
      this.record(chunk, off, out);
      off += RECORD_BYTES;
    }
    if (off < chunk.length) {
      this.pending.set(chunk.subarray(off), 0);
      this.pendingLength = chunk.length - off;
    }
    return out;
  }

  /** Ends the stream: throws on a truncated last record or an empty source; returns the last (partial) group. */
  end(): RecordColumns[] {
    if (this.pendingLength > 0) {
      throw new CifarDataError(this.file, `truncated record: the file ends after ${this.pendingLength} of its ${RECORD_BYTES} bytes`, { record: this.records });
    }
    if (this.records === 0) throw new CifarDataError(this.file, 'holds no records');
    const g = this.group;
    this.group = null;
    if (g === null || g.length === 0) return [];
    return [{ ...g, images: g.images.subarray(0, g.length * IMAGE_BYTES), fine: g.fine.subarray(0, g.length), coarse: g.coarse.subarray(0, g.length) }];
  }

  private record(buf: Uint8Array, off: number, out: RecordColumns[]): void {
    const n = this.records;
    const coarse = buf[off];
    const fine = buf[off + 1];
    if (coarse >= COARSE_CLASSES) throw new CifarDataError(this.file, `coarse label ${coarse} out of range 0..${COARSE_CLASSES - 1}`, { record: n });
    if (fine >= FINE_CLASSES) throw new CifarDataError(this.file, `fine label ${fine} out of range 0..${FINE_CLASSES - 1}`, { record: n });
    const known = this.fineToCoarse[fine];
    if (known < 0) {
      this.fineToCoarse[fine] = coarse;
      this.fineFirstSeen[fine] = n;
    } else if (known !== coarse) {
      throw new CifarDataError(
        this.file,
        `fine label ${fine} comes with coarse label ${coarse}, but with coarse label ${known} at record ${this.fineFirstSeen[fine]}`,
        { record: n },
      );
    }
    this.records = n + 1;
    if (this.groupRows === 0) return;
    let g = this.group;
    if (g === null) {
      g = this.group = {
        start: n,
        length: 0,
        images: new Uint8Array(this.groupRows * IMAGE_BYTES),
        fine: new Uint8Array(this.groupRows),
        coarse: new Uint8Array(this.groupRows),
      };
    }
    const i = g.length;
    g.images.set(buf.subarray(off + 2, off + RECORD_BYTES), i * IMAGE_BYTES);
    g.fine[i] = fine;
    g.coarse[i] = coarse;
    g.length = i + 1;
    if (g.length === this.groupRows) {
      out.push(g);
      this.group = null;
    }
  }
}

/**
 * Parses a label-name file (one name a line, in index order; trailing blank lines and `\r` ignored).
 * Throws a {@link CifarDataError} naming `file` unless it holds exactly `count` non-empty names.
 */
export function parseLabelNames(file: string, bytes: Uint8Array, count: number): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const empty = lines.indexOf('');
  if (empty >= 0) throw new CifarDataError(file, `line ${empty + 1} is empty; expected ${count} label names, one a line`);
  if (lines.length !== count) throw new CifarDataError(file, `holds ${lines.length} label names, expected ${count}`);
  return lines;
}
