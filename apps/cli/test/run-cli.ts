// Spawning the built CLI for the end-to-end tests of the run commands (train, distill, eval, report, ...).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../src/main.js';

export const MAIN = resolve(import.meta.dirname, '..', 'dist', 'main.js');
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `atkd ...args` to completion (cwd: the repo root). */
export function atkd(args: string[], options: { env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...options.env }, timeout: 170_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `atkd ...args` in this process (for paths that stop before any heavy work: bad input). */
export async function atkdInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c: Buffer, _e, done) => (f(c.toString()), done()) });
  const code = await main(args, { stdin: Readable.from([]), stdout: sink(() => undefined), stderr: sink((s) => (stderr += s)) });
  return { code, stderr };
}

/** Runs `atkd ...args` and sends SIGINT once stderr matches `when`. */
export function atkdInterrupted(args: string[], when: RegExp): Promise<CliResult & { interrupted: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!interrupted && when.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, interrupted }));
  });
}

/** Tiny training options: few steps of small batches, a small test subset. */
export const TINY = ['--batch-size', '16', '--steps-per-epoch', '2', '--test-limit', '32', '--eval-batch-size', '32', '--quiet'];

/**
 * A synthetic CIFAR-100 binary folder (the official layout: 3,074-byte records <coarse><fine><3072 pixels>,
 * and the label-name files), `perClass` images of each fine class.
 */
export function syntheticCifarFolder(dir: string, trainPerClass: number, testPerClass: number): void {
  mkdirSync(dir, { recursive: true });
  const records = (perClass: number, seed: number) => {
    const n = 100 * perClass;
    const buf = Buffer.alloc(n * 3074);
    let s = seed;
    for (let i = 0; i < n; i++) {
      const fine = i % 100;
      buf[i * 3074] = fine % 20;
      buf[i * 3074 + 1] = fine;
      for (let p = 0; p < 3072; p++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        buf[i * 3074 + 2 + p] = s >>> 24;
      }
    }
    return buf;
  };
  writeFileSync(join(dir, 'train.bin'), records(trainPerClass, 1));
  writeFileSync(join(dir, 'test.bin'), records(testPerClass, 2));
  writeFileSync(join(dir, 'fine_label_names.txt'), `${Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n')}\n`);
  writeFileSync(join(dir, 'coarse_label_names.txt'), `${Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n')}\n`);
}
