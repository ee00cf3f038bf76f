// The first run on a fresh clone: `npm ci` links node_modules/.bin/atkd before `npm run build` has
// made dist/, so the bin npm links must be a committed file; `npx atkd` then runs this workspace's CLI
// and never asks the public registry for a package named `atkd`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './run-cli.js';

const CLI = join(ROOT, 'apps', 'cli');
const pkg = JSON.parse(readFileSync(join(CLI, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

describe('npx atkd on a fresh clone', () => {
  it('the bin npm links is committed and executable, not a build output', () => {
    const bin = pkg.bin.atkd;
    expect(bin).toBeDefined();
    expect(bin).not.toMatch(/(^|\/)dist\//); // dist/ does not exist when `npm ci` links bins
    const staged = spawnSync('git', ['ls-files', '-s', '--', join('apps', 'cli', bin)], { cwd: ROOT, encoding: 'utf8' });
    if (staged.status === 0 && staged.stdout !== '') expect(staged.stdout).toMatch(/^100755 /); // in a git checkout: committed, executable
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> };
    expect(lock.packages['apps/cli'].bin?.atkd).toBe(bin.replace(/^\.\//, ''));
  });

  it('node_modules/.bin/atkd (what `npx atkd` runs) is linked to it and runs this CLI', () => {
    const link = join(ROOT, 'node_modules', '.bin', 'atkd');
    expect(existsSync(link), `${link} missing: npm did not link the bin`).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(join(CLI, pkg.bin.atkd)));
    const r = spawnSync(link, ['--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('npx resolves atkd locally, offline, without installing anything', () => {
    const r = spawnSync('npx', ['--no', '--offline', 'atkd', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
