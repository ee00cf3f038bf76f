import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_NAME, CifarArrowFile, CifarDataError, fetchCifar100 } from '../src/index.js';
import { cifarTarball, listing, md5, sourceFiles, tempDir } from './helpers.js';

const files = sourceFiles(300, 120);
const tgz = cifarTarball(files);
const MD5 = md5(tgz);
let server: Server;
let base: string;
const requests: { url: string; range: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (req.url === '/moved') {
      res.writeHead(302, { Location: '/cifar-100-binary.tar.gz' }).end();
      return;
    }
    if (req.url !== '/cifar-100-binary.tar.gz') {
      res.writeHead(404).end('not here');
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      const from = Number(m[1]);
      res.writeHead(206, { 'Content-Length': tgz.length - from, 'Content-Range': `bytes ${from}-${tgz.length - 1}/${tgz.length}` });
      res.end(tgz.subarray(from));
      return;
    }
    res.writeHead(200, { 'Content-Length': tgz.length });
    // in pieces, so the progress bar has something to show
    let off = 0;
    const step = () => {
      if (off >= tgz.length) return void res.end();
      res.write(tgz.subarray(off, off + 65536));
      off += 65536;
      setImmediate(step);
    };
    step();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function sink(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      parts.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => parts.join('') };
}

describe('fetchCifar100 (local HTTP server, never the real URL)', () => {
  it('downloads with a progress bar, checks the MD5, imports, and removes the archive', async () => {
    const to = await tempDir();
    const progress = sink();
    const r = await fetchCifar100({ url: `${base}/cifar-100-binary.tar.gz`, md5: MD5, to, progressStream: progress.stream });
    expect(await listing(to)).toEqual(['test.arrow', 'train.arrow']);
    expect(r.downloadedBytes).toBe(tgz.length);
    expect(r.resumed).toBe(false);
    expect(r.archive).toBeUndefined();
    const f = await CifarArrowFile.open(r.files.train);
    await f.close();
    expect(f.numRows).toBe(300);
    expect(f.meta.source.archive?.md5).toBe(MD5);
    const text = progress.text();
    expect(text).toMatch(/download \[#+\] 100%\s+[\d.]+\/[\d.]+ MB\s+[\d.]+ MB\/s\s+ETA \d+:\d\d/);
    expect(text).toMatch(/^import /m);
  });

  it('follows a redirect, keeps the archive if asked, and is quiet if asked', async () => {
    const to = await tempDir();
    const progress = sink();
    const r = await fetchCifar100({ url: `${base}/moved`, md5: MD5, to, keepArchive: true, quiet: true, progressStream: progress.stream });
    expect(r.archive).toBe(join(to, ARCHIVE_NAME));
    expect(md5(await readFile(r.archive!))).toBe(MD5);
    expect(progress.text()).toBe('');
    // a complete archive already there is not downloaded again
    const again = await fetchCifar100({ url: `${base}/moved`, md5: MD5, to, keepArchive: true, quiet: true });
    expect(again.downloadedBytes).toBe(0);
  });

  it('resumes a partial download with a Range request', async () => {
    const to = await tempDir();
    const half = Math.floor(tgz.length / 2);
    await writeFile(join(to, `${ARCHIVE_NAME}.part`), tgz.subarray(0, half));
    requests.length = 0;
    const r = await fetchCifar100({ url: `${base}/cifar-100-binary.tar.gz`, md5: MD5, to, quiet: true });
    expect(requests).toEqual([{ url: '/cifar-100-binary.tar.gz', range: `bytes=${half}-` }]);
    expect(r.resumed).toBe(true);
    expect(r.downloadedBytes).toBe(tgz.length - half);
    expect(await listing(to)).toEqual(['test.arrow', 'train.arrow']);
  });

  it('rejects an MD5 mismatch and leaves nothing behind', async () => {
    const to = await tempDir();
    const err = await fetchCifar100({ url: `${base}/cifar-100-binary.tar.gz`, md5: '0'.repeat(32), to, quiet: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CifarDataError);
    expect((err as Error).message).toMatch(new RegExp(`MD5 mismatch: got ${MD5}, expected 0{32}`));
    expect(await listing(to)).toEqual([]);
  });

  it('defaults to the official MD5, which a test tarball cannot match', async () => {
    const to = await tempDir();
    await expect(fetchCifar100({ url: `${base}/cifar-100-binary.tar.gz`, to, quiet: true })).rejects.toThrow(/expected 03b5dce01913d631647c71ecec9e9cb8/);
  });

  it('reports an HTTP error with its status', async () => {
    const to = await tempDir();
    await expect(fetchCifar100({ url: `${base}/missing.tar.gz`, md5: MD5, to, quiet: true })).rejects.toThrow(/missing\.tar\.gz: download failed: HTTP 404/);
  });

  it('without network it fails fast and says how to import a local copy', async () => {
    // a port nothing listens on: connection refused, like a machine without network
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const to = await tempDir();
    const t0 = performance.now();
    const err = await fetchCifar100({ url: `http://127.0.0.1:${port}/cifar-100-binary.tar.gz`, to, quiet: true }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(CifarDataError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).toMatch(/import a local copy instead: `atkd data import --from/); // was `node libs/data/dist/cli.js ...`
    expect(existsSync(join(to, 'train.arrow'))).toBe(false);
  });

  it('checks --md5 before downloading, and leaves no empty --to behind (was: downloaded first; left the directory)', async () => {
    const parent = await tempDir();
    const to = join(parent, 'new-dir');
    const before = requests.length;
    await expect(fetchCifar100({ url: `${base}/cifar-100-binary.tar.gz`, md5: 'xyz', to, quiet: true })).rejects.toThrow(/^md5: "xyz" is not an MD5 \(32 hex digits\)/);
    expect(requests.length).toBe(before); // nothing requested
    expect(existsSync(to)).toBe(false);
    await expect(fetchCifar100({ url: `${base}/missing.tar.gz`, md5: MD5, to, quiet: true })).rejects.toThrow(/HTTP 404/);
    expect(existsSync(to)).toBe(false); // created by the call, empty: removed again
  });

  it('a DNS failure fails fast with the same advice', async () => {
    const to = await tempDir();
    const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) =>
      cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))) as never;
    await expect(fetchCifar100({ url: 'http://www.example.invalid/cifar-100-binary.tar.gz', to, quiet: true, lookup })).rejects.toThrow(
      /www\.example\.invalid\/cifar-100-binary\.tar\.gz: cannot download \(ENOTFOUND.*import a local copy instead/s,
    );
    expect(await listing(to)).toEqual([]);
  });

  it('gives up on a silent server after timeoutMs', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const to = await tempDir();
    const t0 = performance.now();
    await expect(fetchCifar100({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/x`, to, quiet: true, timeoutMs: 300 })).rejects.toThrow(/ETIMEDOUT.*import a local copy/s);
    expect(performance.now() - t0).toBeLessThan(3000);
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
