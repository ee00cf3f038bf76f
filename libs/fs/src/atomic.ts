// Atomic writes: the data goes to a temporary file in the target's directory (`.NAME.tmp-PID-HEX`),
// is fsynced, renamed over the target, and the directory is fsynced, so a crash or a kill at any
// moment leaves either the old file or the new one, never a half-written one, and a completed
// write survives a power loss. A writer killed before it could clean up leaves only a temp name that
// {@link removeStaleTemps} recognises.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** A fresh temporary name next to `target`: `.NAME.tmp-PID-HEX` in the same directory (so the rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsyncs a file or a directory by path (a directory's entries survive a crash once it is synced). */
export function syncPathSync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a file or a directory by path. */
export async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` (no rename: for files inside a directory that is itself swapped in) and fsyncs it. */
export function writeFileSyncedSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeAllSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Moves the finished temporary file `tmp` over `target`: fsync of `tmp`, rename, fsync of the
 * directory. On failure `tmp` is removed and the target is as it was.
 */
export async function commitTemp(tmp: string, target: string): Promise<void> {
  try {
    await syncPath(tmp);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncPath(dirname(target));
}

/** {@link commitTemp}, synchronously. */
export function commitTempSync(tmp: string, target: string): void {
  try {
    syncPathSync(tmp);
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  syncPathSync(dirname(target));
}

/** Writes `data` to `path` atomically and durably (temp file in the same directory, fsync, rename, fsync of the directory). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncPath(dirname(path));
}

/** {@link writeFileAtomic}, synchronously. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSyncedSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  syncPathSync(dirname(path));
}

/** `value` as indented JSON (two spaces, a final newline), written with {@link writeFileAtomicSync}. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A streaming atomic write: write to {@link AtomicWriteStream.stream}, then `commit()` or `abort()`. */
export interface AtomicWriteStream {
  /** The temporary file's stream (in the target's directory). */
  readonly stream: WriteStream;
  /** The temporary file's path. */
  readonly tempPath: string;
  /** Ends the stream, waits for it, fsyncs, renames it over the target and fsyncs the directory. */
  commit(): Promise<void>;
  /** Destroys the stream and removes the temporary file (synchronous: safe in a signal handler); the target is as it was. */
  abort(): void;
}

/** Opens a streaming atomic write of `target` (the temporary file is created exclusively). */
export function createAtomicWriteStream(target: string): AtomicWriteStream {
  const tempPath = tempPathFor(target);
  const stream = createWriteStream(tempPath, { flags: 'wx', flush: true });
  const abort = (): void => {
    stream.destroy();
    rmSync(tempPath, { force: true });
  };
  return {
    stream,
    tempPath,
    abort,
    async commit(): Promise<void> {
      try {
        stream.end();
        await finished(stream);
      } catch (error) {
        abort();
        throw error;
      }
      await commitTemp(tempPath, target);
    },
  };
}
