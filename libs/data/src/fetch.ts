/**
 * `fetchCifar100`: downloads the official CIFAR-100 binary archive (resuming a partial download), checks
 * its MD5, then imports it with {@link importCifar100}.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import { commitTemp } from '@atkd/fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CifarDataError } from './errors.js';
import { importCifar100, type ImportResult } from './import.js';
import { defaultDataDir } from './paths.js';
import { ProgressBar, type ProgressBarOptions } from './progress.js';

/** The official archive (binary version for C programs). */
export const CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz';
/** Its official MD5. */
export const CIFAR100_MD5 = '03b5dce01913d631647c71ecec9e9cb8';
/** File name of the archive in the data directory while it is kept. */
export const ARCHIVE_NAME = 'cifar-100-binary.tar.gz';

export interface FetchOptions {
  /** Where to download from (default {@link CIFAR100_URL}); `http:` or `https:`. */
  url?: string;
  /** Data directory (default {@link defaultDataDir}); the archive is downloaded there too. */
  to?: string;
  /** Expected MD5 of the archive (default {@link CIFAR100_MD5}). */
  md5?: string;
  /** No progress bars (default false). */
  quiet?: boolean;
  /** Keep the archive after importing (default false: removed once imported). */
  keepArchive?: boolean;
  /** Give up when the connection is silent this long, in ms (default 15,000). */
  timeoutMs?: number;
  /** Where progress bars go (default stderr; for tests). */
  progressStream?: ProgressBarOptions['stream'];
  /** Host name lookup (default the system's; for tests). */
  lookup?: http.RequestOptions['lookup'];
}

export interface FetchResult extends ImportResult {
  /** The archive's path if kept, else undefined. */
  archive: string | undefined;
  /** Bytes downloaded by this call (0 when a complete archive was already there). */
  downloadedBytes: number;
  /** Whether a partial download was resumed. */
  resumed: boolean;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'ENETDOWN', 'EPIPE']);

function offlineHint(url: string, what: string, cause: unknown): CifarDataError {
  return new CifarDataError(
    url,
    `cannot download (${what}). Without network access, import a local copy instead: ` +
      "`atkd data import --from <the extracted cifar-100-binary folder or cifar-100-binary.tar.gz>` " +
      "or importCifar100({ from: '<folder or .tar.gz>' }) from @atkd/data.",
    { cause },
  );
}

async function md5Of(path: string): Promise<string> {
  const h = createHash('md5');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

function request(url: string, headers: Record<string, string>, timeoutMs: number, lookup: http.RequestOptions['lookup']): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      reject(new CifarDataError(url, 'not a valid URL', { cause }));
      return;
    }
    const lib = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (lib === null) {
      reject(new CifarDataError(url, `unsupported protocol ${parsed.protocol} (use http: or https:)`));
      return;
    }
    const req = lib.get(parsed, { headers, timeout: timeoutMs, ...(lookup ? { lookup } : {}) }, resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code && NETWORK_CODES.has(err.code) ? offlineHint(url, `${err.code}: ${err.message}`, err) : new CifarDataError(url, `download failed: ${err.message}`, { cause: err }));
    });
  });
}

/** Downloads `url` into `part`, resuming from its current size if the server allows. */
async function download(url: string, part: string, options: FetchOptions): Promise<{ bytes: number; resumed: boolean }> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  let have = (await stat(part).catch(() => null))?.size ?? 0;
  let target = url;
  for (let hop = 0; ; hop++) {
    const res = await request(target, have > 0 ? { Range: `bytes=${have}-` } : {}, timeoutMs, options.lookup);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= 5) throw new CifarDataError(url, 'too many redirects');
      target = new URL(res.headers.location, target).toString();
      continue;
    }
    if (status === 416 && have > 0) {
      // our partial file is not a prefix the server agrees with: start over
      res.resume();
      await rm(part, { force: true });
      have = 0;
      continue;
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      throw new CifarDataError(target, `download failed: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
    }
    const resumed = status === 206;
    if (resumed) {
      const range = /bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
      if (!range || Number(range[1]) !== have) {
        res.resume();
        await rm(part, { force: true });
        have = 0;
        continue;
      }
    } else {
      have = 0;
    }
    const length = Number(res.headers['content-length'] ?? 0);
    const total = length > 0 ? have + length : 0;
    const bar = new ProgressBar(resumed ? 'download (resumed)' : 'download', total, { quiet: options.quiet, stream: options.progressStream });
    let done = have;
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        done += chunk.length;
        bar.update(done);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(res, counter, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw e.code && NETWORK_CODES.has(e.code) ? offlineHint(target, `connection lost after ${done} bytes: ${e.code}; run again to resume`, e) : err;
    }
    bar.finish();
    if (length > 0 && done - have !== length) throw new CifarDataError(target, `download ended after ${done - have} of ${length} bytes; run again to resume`);
    return { bytes: done - have, resumed };
  }
}

/**
 * Downloads the CIFAR-100 binary archive to `<to>/cifar-100-binary.tar.gz.part` (resuming a previous
 * partial download), checks the MD5, renames it to `cifar-100-binary.tar.gz`, imports it into
 * `<to>/train.arrow` and `<to>/test.arrow` and (unless `keepArchive`) removes the archive. Without
 * network access it fails at once with a {@link CifarDataError} explaining how to import a local copy.
 */
export async function fetchCifar100(options: FetchOptions = {}): Promise<FetchResult> {
  const url = options.url ?? CIFAR100_URL;
  const expected = (options.md5 ?? CIFAR100_MD5).toLowerCase();
  // checked before anything is downloaded or created
  if (!/^[0-9a-f]{32}$/.test(expected)) throw new CifarDataError('md5', `${JSON.stringify(options.md5)} is not an MD5 (32 hex digits)`);
  const dir = options.to ?? defaultDataDir();
  const created = (await stat(dir).catch(() => null)) === null;
  await mkdir(dir, { recursive: true });
  try {
    return await fetchInto(dir, url, expected, options);
  } catch (error) {
    // a directory this call created and left empty (nothing to resume from) is removed again
    if (created) await rmdir(dir).catch(() => undefined);
    throw error;
  }
}

async function fetchInto(dir: string, url: string, expected: string, options: FetchOptions): Promise<FetchResult> {
  const archive = join(dir, ARCHIVE_NAME);
  const part = `${archive}.part`;

  let downloadedBytes = 0;
  let resumed = false;
  const existing = await stat(archive).catch(() => null);
  if (!(existing?.isFile() && (await md5Of(archive)) === expected)) {
    const got = await download(url, part, options);
    downloadedBytes = got.bytes;
    resumed = got.resumed;
    const md5 = await md5Of(part);
    if (md5 !== expected) {
      await rm(part, { force: true });
      throw new CifarDataError(url, `MD5 mismatch: got ${md5}, expected ${expected}; the download was removed`);
    }
    await commitTemp(part, archive); // fsynced: the archive is only ever complete
  }

  const bar = new ProgressBar('import', 0, { quiet: options.quiet, stream: options.progressStream });
  const result = await importCifar100({
    from: archive,
    to: dir,
    // both passes on one bar: check is the first half, write the second
    onProgress: (p) => bar.update(p.phase === 'check' ? p.bytes : p.totalBytes + p.bytes, { total: 2 * p.totalBytes }),
  });
  bar.finish();
  if (!options.keepArchive) await rm(archive, { force: true });
  return { ...result, archive: options.keepArchive ? archive : undefined, downloadedBytes, resumed };
}
