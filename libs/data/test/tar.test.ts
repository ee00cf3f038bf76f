import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CifarDataError, tarEntries } from '../src/index.js';
import { bytes, tarball, tempDir } from './helpers.js';

async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readTar(buf: Uint8Array, chunk = 777): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const e of tarEntries(chunked(buf, chunk), 'test.tar')) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(Buffer.from(c));
    const data = Buffer.concat(parts);
    expect(data.length).toBe(e.size);
    out.set(e.name, data);
  }
  return out;
}

describe('tarEntries', () => {
  const a = bytes(1000, 1);
  const b = bytes(512, 2);
  const longName = `${'x'.repeat(120)}/long.bin`;
  const tar = tarball(
    [
      { name: 'd/', dir: true },
      { name: 'd/a.bin', data: a },
      { name: 'd/empty', data: new Uint8Array(0) },
      { name: longName, data: b },
    ],
    false,
  );

  it.each([1, 100, 512, 777, 1 << 16])('reads every regular file whatever the chunking (%i-byte chunks)', async (chunk) => {
    const files = await readTar(tar, chunk);
    expect([...files.keys()]).toEqual(['d/a.bin', 'd/empty', longName]);
    expect(files.get('d/a.bin')!.equals(a)).toBe(true);
    expect(files.get('d/empty')!.length).toBe(0);
    expect(files.get(longName)!.equals(b)).toBe(true);
  });

  it('skips bodies the consumer does not read', async () => {
    const names: string[] = [];
    for await (const e of tarEntries(chunked(tar, 300), 't')) names.push(`${e.name}:${e.size}`);
    expect(names).toEqual(['d/a.bin:1000', 'd/empty:0', `${longName}:512`]);
  });

  it('rejects a corrupt header, naming the archive', async () => {
    const bad = Buffer.from(tar);
    bad[512 + 10] ^= 0xff; // inside the second header's name
    await expect(readTar(bad)).rejects.toThrow(/test\.tar: not a tar archive \(bad header checksum at byte 512\)/);
    await expect(readTar(Buffer.from('hello, this is not a tar file'.padEnd(600, '!')))).rejects.toBeInstanceOf(CifarDataError);
  });

  it('rejects an archive cut short inside an entry', async () => {
    await expect(readTar(tar.subarray(0, 512 * 2 + 300))).rejects.toThrow(/test\.tar: tar archive cut short inside d\/a\.bin/);
  });

  it('reads archives made by the system tar (GNU and pax formats)', async (ctx) => {
    try {
      execFileSync('tar', ['--version'], { stdio: 'ignore' });
    } catch {
      console.log('skipped: no system tar on PATH');
      ctx.skip();
    }
    const dir = await tempDir();
    const src = join(dir, 'src', 'cifar-100-binary', 'y'.repeat(110));
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'train.bin'), a);
    for (const format of ['gnu', 'posix']) {
      const out = join(dir, `x-${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', join(dir, 'src'), 'cifar-100-binary']);
      const files = await readTar(await readFile(out), 4096);
      expect(files.get(`cifar-100-binary/${'y'.repeat(110)}/train.bin`)!.equals(a)).toBe(true);
    }
  });
});
