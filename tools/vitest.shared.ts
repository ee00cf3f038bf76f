// Shared vitest configuration for every atkd project.
// Each project writes a JSON report to reports/tests/<name>.json so that
// tools/run-tests.mjs can print one "N passed, N failed" line for the workspace.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export interface ProjectTestOptions {
  /** Per-test timeout in ms (default 30 s). */
  testTimeout?: number;
  /** Extra setup files, relative to the project root. */
  setupFiles?: string[];
  /** Test files, relative to the project root (default `test/**` and `src/**` `*.test.ts`). */
  include?: string[];
}

/** The workspace root: the nearest folder above `dir` with an nx.json (projects sit at different depths). */
function findWorkspaceRoot(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(resolve(d, 'nx.json'))) return d;
    if (dirname(d) === d) throw new Error(`no nx.json above ${dir}`);
  }
}

export function projectTestConfig(projectRoot: string, name: string, options: ProjectTestOptions = {}): ViteUserConfig {
  const workspaceRoot = findWorkspaceRoot(projectRoot);
  return defineConfig({
    root: projectRoot,
    test: {
      name,
      include: options.include ?? ['test/**/*.test.ts', 'src/**/*.test.ts'],
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
