import { describe, expect, it } from 'vitest';
import { crc32, crc32Js, readZip } from '../src/torch/zip.js';
import { buildZip, bytes, errorOf, le } from './torch-helpers.js';

const messageOf = (fn: () => unknown): string => errorOf(fn).message;

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('readZip', () => {
  it('computes CRC-32 (native and JavaScript agree with the check value)', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Js(check)).toBe(0xcbf43926);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32Js(random)).toBe(crc32(random));
  });

  it('reads stored, deflated and zip64 archives, in directory order', () => {
    for (const zip64 of [false, true]) {
      const zip = readZip(
        buildZip([{ name: 'a/one', data: 'first' }, { name: 'a/two', data: 'second '.repeat(50), deflate: true }, { name: 'a/empty', data: '' }], { zip64 }),
        'x.zip',
      );
      expect([...zip.entries.keys()]).toEqual(['a/one', 'a/two', 'a/empty']);
      expect(text(zip.read('a/one'))).toBe('first');
      expect(text(zip.read('a/two'))).toBe('second '.repeat(50));
      expect(zip.entries.get('a/two')?.method).toBe(8);
      expect(zip.read('a/empty').length).toBe(0);
      expect(messageOf(() => zip.read('a/three'))).toBe('x.zip: zip archive has no record a/three');
    }
  });

  it('finds the end record behind an archive comment', () => {
    const plain = buildZip([{ name: 'f', data: 'abc' }]);
    const withComment = bytes(plain.subarray(0, plain.length - 2), le(5, 2), 'hello');
    expect(text(readZip(withComment, 'c.zip').read('f'))).toBe('abc');
  });

  it('rejects damaged archives with a message naming the file and the record', () => {
    const zip = buildZip([{ name: 'f', data: 'abcdef' }]);
    const flipped = zip.slice();
    flipped[30 + 1 + 2] ^= 1; // a data byte of record f
    expect(messageOf(() => readZip(flipped, 'd.zip').read('f'))).toMatch(/^d\.zip: zip record f is corrupt: CRC-32/);

    const encrypted = zip.slice();
    const cd = zip.length - 22 - (46 + 1);
    encrypted[cd + 8] |= 1;
    expect(messageOf(() => readZip(encrypted, 'e.zip'))).toBe('e.zip: zip record f is encrypted');

    const method = zip.slice();
    method[cd + 10] = 12; // bzip2
    expect(messageOf(() => readZip(method, 'm.zip').read('f'))).toMatch(/^m\.zip: zip record f uses compression method 12/);

    const badCd = zip.slice();
    badCd[cd] = 0;
    expect(messageOf(() => readZip(badCd, 'b.zip'))).toBe(`b.zip: zip central directory is damaged at entry 0 (offset ${cd})`);

    const dup = buildZip([{ name: 'f', data: 'a' }, { name: 'f', data: 'b' }]);
    expect(messageOf(() => readZip(dup, 'u.zip'))).toBe('u.zip: zip archive has two records named f');

    const z64 = buildZip([{ name: 'f', data: 'abc' }], { zip64: true });
    const noLocator = z64.slice();
    noLocator[z64.length - 22 - 20] = 0; // break the zip64 locator's signature
    expect(messageOf(() => readZip(noLocator, 'z.zip'))).toBe('z.zip: zip archive needs a zip64 end record, but none was found');
  });

  it('tells a truncated zip from something that is not a zip', () => {
    const zip = buildZip([{ name: 'f', data: 'abcdef' }]);
    expect(messageOf(() => readZip(zip.subarray(0, zip.length - 5), 't.zip'))).toMatch(/^t\.zip: zip archive is truncated or damaged/);
    expect(messageOf(() => readZip(new Uint8Array(100), 'n.bin'))).toBe('n.bin: not a zip archive (no end-of-central-directory record)');
  });
});
