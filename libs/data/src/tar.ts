/**
 * A small streaming reader for (ustar / GNU / pax) tar archives: it walks the entries of a tar byte
 * stream in order, hands each regular file's bytes out as a stream and never touches the disk.
 * Enough for the official CIFAR archives; not a general archiver (no sparse files, no links).
 */
import { CifarDataError } from './errors.js';

const BLOCK = 512;

/** One regular file in a tar stream. Read `body` fully or not at all before asking for the next entry. */
export interface TarEntry {
  /** Path inside the archive (pax `path` / GNU long name honoured). */
  name: string;
  /** Size in bytes. */
  size: number;
  /** The file's bytes, in chunks (views into the decompressed stream; copy them to keep them). */
  body: AsyncIterable<Uint8Array>;
}

/** Pulls exact byte counts out of an async chunk stream. */
class ByteSource {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  /** Bytes handed out so far (the position in the uncompressed tar). */
  offset = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Up to `max` bytes, or null at the end of the stream. */
  async next(max: number): Promise<Uint8Array | null> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return null;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return null;
      }
      this.chunk = r.value;
      this.pos = 0;
    }
    const n = Math.min(max, this.chunk.length - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  /** Exactly `n` bytes (copied), or null if the stream ends first (`partial` tells how many came). */
  async exact(n: number): Promise<{ bytes: Uint8Array; partial: number } | null> {
    const first = await this.next(n);
    if (first === null) return null;
    if (first.length === n) return { bytes: first, partial: n };
    const out = new Uint8Array(n);
    out.set(first, 0);
    let got = first.length;
    while (got < n) {
      const more = await this.next(n - got);
      if (more === null) return { bytes: out, partial: got };
      out.set(more, got);
      got += more.length;
    }
    return { bytes: out, partial: n };
  }

  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const c = await this.next(left);
      if (c === null) break;
      left -= c.length;
    }
    return n - left;
  }
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/** Octal (optionally space/NUL padded) or GNU base-256 number field. */
function numberField(bytes: Uint8Array, start: number, length: number): number {
  if (bytes[start] & 0x80) {
    let v = bytes[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + bytes[start + i];
    return v;
  }
  const s = cString(bytes, start, length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return Number.NaN;
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = numberField(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === stored;
}

function paxPath(data: Uint8Array): string | undefined {
  // Records are "<len> <key>=<value>\n".
  const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  let path: string | undefined;
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0 && rec.slice(0, eq) === 'path') path = rec.slice(eq + 1);
    i += len;
  }
  return path;
}

/**
 * The regular-file entries of the tar stream `source` (uncompressed bytes), in archive order.
 * `label` names the archive in errors (a corrupt header or an archive cut short is a {@link CifarDataError}).
 */
export async function* tarEntries(source: AsyncIterable<Uint8Array>, label: string): AsyncGenerator<TarEntry> {
  const src = new ByteSource(source[Symbol.asyncIterator]());
  let longName: string | undefined;
  for (;;) {
    const headerAt = src.offset;
    const h = await src.exact(BLOCK);
    if (h === null) return; // clean end without the two zero blocks: accepted like GNU tar does
    if (h.partial < BLOCK) throw new CifarDataError(label, `tar archive cut short inside the header at byte ${headerAt}`);
    const header = h.bytes;
    if (header.every((b) => b === 0)) return; // end-of-archive marker
    if (!checksumOk(header)) throw new CifarDataError(label, `not a tar archive (bad header checksum at byte ${headerAt})`);
    const size = numberField(header, 124, 12);
    if (!Number.isFinite(size) || size < 0) throw new CifarDataError(label, `bad size field in the tar header at byte ${headerAt}`);
    const type = String.fromCharCode(header[156] || 48); // NUL means a regular file
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const readAll = async (): Promise<Uint8Array> => {
      const d = await src.exact(padded);
      if (d === null || d.partial < padded) throw new CifarDataError(label, `tar archive cut short inside the entry at byte ${headerAt}`);
      return d.bytes.subarray(0, size);
    };
    if (type === 'L') {
      longName = cString(await readAll(), 0, size);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(await readAll()) ?? longName;
      continue;
    }
    let name = cString(header, 0, 100);
    const magic = cString(header, 257, 6);
    if (magic.startsWith('ustar')) {
      const prefix = cString(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    if (type !== '0' && type !== '7') {
      // directories, links, global pax headers ...: skip their data, if any
      if ((await src.skip(padded)) < padded) throw new CifarDataError(label, `tar archive cut short inside ${name}`);
      continue;
    }
    let left = size;
    let consumed = false;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: async function* () {
        if (consumed) throw new Error(`tar entry ${name} read twice`);
        consumed = true;
        while (left > 0) {
          const c = await src.next(left);
          if (c === null) throw new CifarDataError(label, `tar archive cut short inside ${name} (${size - left} of ${size} bytes)`);
          left -= c.length;
          yield c;
        }
      },
    };
    yield { name, size, body };
    consumed = true;
    // skip what the consumer left unread, then the padding to the next block
    const rest = left + (padded - size);
    left = 0;
    if ((await src.skip(rest)) < rest) throw new CifarDataError(label, `tar archive cut short inside ${name}`);
  }
}
