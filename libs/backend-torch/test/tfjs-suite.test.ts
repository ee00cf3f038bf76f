// TF.js's own op test suite (tfjs-core's shipped dist/**/*_test.js) as the referee for the torch
// engine: bundled and run with jasmine by tfjs-suite/run.mjs, in a child process. Every test runs
// except the listed exclusions (each with its reason, see tfjs-suite/exclusions.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SKIP } from './helpers.js';

describe.skipIf(SKIP !== null)('the tfjs-core test suite on torch', () => {
  it('passes every test it runs; exclusions are listed with reasons', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atkd-tfjs-suite-'));
    try {
      const json = join(dir, 'torch.json');
      const run = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'tfjs-suite', 'run.mjs'), '--backend', 'torch', '--json', json],
        { encoding: 'utf8', timeout: 900_000, env: { ...process.env, ATKD_THREADS: '1' } });
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        passed: number; failed: number; failures: { name: string; message: string }[]; exclusions: { name: string; reason: string }[];
      };
      expect(report.failures, run.stdout.split('\n').filter((l) => l.includes('FAIL')).join('\n')).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.passed).toBeGreaterThan(4000);
      expect(report.exclusions.every((e) => e.reason.length > 0)).toBe(true);
      expect(report.exclusions.length).toBeLessThan(report.passed / 10);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
