#!/usr/bin/env node
// The README's main job (`npm run main`): distills a resnet8 student from the embedded teacher
// (apps/cli/assets/teacher-resnet20.pth, a resnet20 trained on the full CIFAR-100) on the embedded
// CIFAR-100 sample of @atkd/data, with the adaptive temperature (preset atkd, schedule quick), and
// prints teacher and student accuracy, the mean temperature and the throughput.
//
// It builds nothing: run `npm run build` first (the README's set-up command does). Extra arguments go
// to `atkd distill` (e.g. `npm run main -- --epochs 2`, `npm run main -- --json`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
if (!existsSync(cli)) {
  console.error(`main job: ${cli} is missing; build the workspace first: npm run build`);
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const extra = process.argv.slice(2);
const given = (flag) => extra.some((a) => a === flag || a.startsWith(`${flag}=`));
const args = ['distill', ...(given('--preset') || given('--resume') ? [] : ['--preset', 'atkd,quick']), ...(given('--out') || given('-o') || given('--resume') ? [] : ['--out', join('runs', `main-${stamp}`)]), ...extra];
console.error(`main job: atkd ${args.join(' ')}`);
const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; the child writes its checkpoint.
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
