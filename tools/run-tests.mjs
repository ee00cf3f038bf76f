#!/usr/bin/env node
// The workspace test command (`npm test`): runs every project's `test` target through Nx,
// then sums the per-project vitest JSON reports into one closing line
// `N passed, N failed, N skipped`. Exits non-zero if any project failed or wrote no report.
// Extra arguments are passed to `nx run-many` (e.g. `npm test -- --projects=math`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reports = join(root, 'reports', 'tests');
const nx = join(root, 'node_modules', '.bin', 'nx');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const extra = process.argv.slice(2);

const listed = spawnSync(nx, ['show', 'projects', '--withTarget', 'test', '--json'], { cwd: root, env, encoding: 'utf8' });
if (listed.status !== 0) {
  process.stderr.write(listed.stderr);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
let projects = JSON.parse(listed.stdout);
const only = extra.find((a) => a.startsWith('--projects='));
if (only) projects = projects.filter((p) => only.slice('--projects='.length).split(',').includes(p));

rmSync(reports, { recursive: true, force: true });
const run = spawnSync(nx, ['run-many', '-t', 'test', '--outputStyle=stream', ...extra], { cwd: root, env, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const project of projects) {
  const file = join(reports, `${project}.json`);
  if (!existsSync(file)) {
    missing.push(project);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load (syntax error, missing module) has no tests but must count.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
}
for (const project of missing) console.error(`project ${project} wrote no test report (reports/tests/${project}.json)`);
failed += missing.length;
const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
mkdirSync(reports, { recursive: true });
writeFileSync(join(reports, 'summary.txt'), `${line}\n`);
console.log(`\n${line}`);
process.exit(run.status !== 0 || failed > 0 ? 1 : 0);
