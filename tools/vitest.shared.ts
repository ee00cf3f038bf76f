// Shared vitest configuration for every atkd project.
// Each project writes a JSON report to reports/tests/<name>.json so that
// tools/run-tests.mjs can print one "N passed, N failed" line for the workspace.
import { resolve } from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export interface ProjectTestOptions {
  /** Per-test timeout in ms (default 30 s). */
  testTimeout?: number;
  /** Extra setup files, relative to the project root. */
  setupFiles?: string[];
}

export function projectTestConfig(projectRoot: string, name: string, options: ProjectTestOptions = {}): ViteUserConfig {
  const workspaceRoot = resolve(projectRoot, '..', '..');
  return defineConfig({
    root: projectRoot,
    test: {
      name,
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: options.testTimeout ?? 30_000,
      setupFiles: options.setupFiles ?? [],
      // One XNNPACK thread per test process: nx runs two projects at once on CI's 2 cores, and
      // spinning pool threads on a busy core slow everything down. The threaded path has its own
      // test (libs/backend/test/wasm-threads.test.ts, in a child process).
      env: { ATKD_THREADS: process.env['ATKD_THREADS'] ?? '1', ATKD_WASM_THREADS: process.env['ATKD_WASM_THREADS'] ?? '1' },
      pool: 'forks',
      reporters: ['default', ['json', { outputFile: resolve(workspaceRoot, 'reports', 'tests', `${name}.json`) }]],
    },
  });
}
