import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, wasmThreadsFrom } from '../src/index.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/threads-child.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'atkd-threads-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface ChildReport { threads: number; note: string | null; backend: string; worstRelErr: number; leaked: number }

async function inChild(threads: string, tempDir = tmp): Promise<ChildReport> {
  // A fresh process: the XNNPACK thread count is fixed once wasm initializes. The 20 s timeout
  // also catches a process kept alive by the pthread workers.
  const { stdout } = await run(process.execPath, [child], {
    env: { ...process.env, ATKD_THREADS: threads, ATKD_WASM_THREADS: threads, TMPDIR: tempDir }, timeout: 20_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
}

describe('wasm threads', () => {
  it('reads the thread count from the option, then ATKD_WASM_THREADS, and rejects bad values by name', () => {
    expect(wasmThreadsFrom(3, { ATKD_WASM_THREADS: '1' })).toBe(3);
    expect(wasmThreadsFrom(undefined, { ATKD_WASM_THREADS: ' 2 ' })).toBe(2);
    expect(wasmThreadsFrom(undefined, {})).toBeGreaterThanOrEqual(1);
    expect(wasmThreadsFrom(undefined, {})).toBeLessThanOrEqual(MAX_WASM_THREADS);
    expect(() => wasmThreadsFrom(undefined, { ATKD_WASM_THREADS: 'two' })).toThrow(/ATKD_WASM_THREADS=two .*integer from 1 to 8/);
    expect(() => wasmThreadsFrom(undefined, { ATKD_WASM_THREADS: '0' })).toThrow(/ATKD_WASM_THREADS=0/);
    expect(() => wasmThreadsFrom(9)).toThrow(/initBackend\(\{ wasmThreads \}\)=9/);
    expect(() => wasmThreadsFrom(1.5)).toThrow(/wasmThreads/);
  });

  it('starts 2 XNNPACK threads in Node, computes the conv kernels as the cpu backend does, and exits', async () => {
    const r = await inChild('2');
    expect(r).toMatchObject({ threads: 2, note: null, backend: 'wasm', leaked: 0 });
    expect(r.worstRelErr).toBeLessThanOrEqual(1e-4);
    // the worker scripts were written whole (temp file + rename), content-addressed
    const files = readdirSync(join(tmp, 'atkd-wasm-threads'));
    expect(files.filter((f) => f.endsWith('-worker.cjs'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('-factory.cjs'))).toHaveLength(1);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('falls back to one thread, saying why, when the worker scripts cannot be written', async () => {
    const notADir = join(tmp, 'a-file');
    writeFileSync(notADir, '');
    const r = await inChild('2', notADir);
    expect(r.threads).toBe(1);
    expect(r.note).toMatch(/cannot prepare the worker scripts/);
    expect(r.worstRelErr).toBeLessThanOrEqual(1e-4);
  });

  it('stays single-threaded when asked for 1 thread', async () => {
    const r = await inChild('1');
    expect(r).toMatchObject({ threads: 1, note: null, backend: 'wasm', leaked: 0 });
    expect(r.worstRelErr).toBeLessThanOrEqual(1e-4);
  });
});
