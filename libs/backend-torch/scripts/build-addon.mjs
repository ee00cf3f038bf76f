#!/usr/bin/env node
// Builds the torch engine's Node-API addon (native/addon.cc) with node-gyp against libtorch.
// libtorch: $ATKD_LIBTORCH (a folder with include/ and lib/, e.g. the torch/ folder of a
// pip-installed PyTorch), else the system's (Debian/Ubuntu: `apt-get install libtorch-dev`).
// Without libtorch (or without a C++ toolchain / Node headers) it prints ONE line saying so and how
// to get it, records why in build/unavailable.json, and exits 0: the rest of the workspace builds
// and atkd runs on wasm. A compile error with libtorch present is a real failure (exit 1).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const unavailableFile = join(buildDir, 'unavailable.json');
const configFile = join(buildDir, 'libtorch.json');
const HOW = 'install it with `sudo apt-get install libtorch-dev` (Debian/Ubuntu), or set ATKD_LIBTORCH to a libtorch folder ' +
  '(with include/ and lib/, e.g. the torch/ folder of `pip install torch`)';

function writeAtomic(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
}

function unavailable(reason) {
  writeAtomic(unavailableFile, JSON.stringify({ reason, how: HOW }, null, 2) + '\n');
  console.log(`@atkd/backend-torch: torch engine not built (${reason}); ${HOW}. atkd runs on wasm.`);
  process.exit(0);
}

export function findLibtorch(env = process.env) {
  const given = env['ATKD_LIBTORCH'];
  if (given !== undefined && given !== '') {
    const dir = resolve(given);
    const include = join(dir, 'include');
    const lib = join(dir, 'lib');
    if (!existsSync(join(include, 'ATen', 'ATen.h'))) return { error: `ATKD_LIBTORCH=${given} has no include/ATen/ATen.h` };
    if (!existsSync(join(lib, 'libtorch_cpu.so'))) return { error: `ATKD_LIBTORCH=${given} has no lib/libtorch_cpu.so` };
    return { include, lib, source: 'ATKD_LIBTORCH' };
  }
  const include = '/usr/include';
  if (!existsSync(join(include, 'ATen', 'ATen.h'))) return { error: 'libtorch was not found (no ATKD_LIBTORCH, no /usr/include/ATen/ATen.h)' };
  const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [multiarch ? `/usr/lib/${multiarch}` : '', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']
    .filter((d) => d !== '');
  const lib = candidates.find((d) => existsSync(join(d, 'libtorch_cpu.so')));
  if (lib === undefined) return { error: 'the libtorch headers are installed but libtorch_cpu.so was not found' };
  return { include, lib, source: 'system' };
}

function nodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function main() {
  const found = findLibtorch();
  if ('error' in found) unavailable(found.error);
  if (spawnSync('g++', ['--version'], { encoding: 'utf8' }).status !== 0) unavailable('no C++ compiler (g++) on PATH');
  const require = createRequire(import.meta.url);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const nd = nodeDir();
  const common = [
    `--libtorch_include=${found.include}`, `--libtorch_lib=${found.lib}`,
    ...(nd !== null ? [`--nodedir=${nd}`] : []),
  ];
  const key = JSON.stringify({ ...found, nodedir: nd, node: process.version });
  const previous = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  if (previous !== key || !existsSync(join(buildDir, 'Makefile'))) {
    rmSync(unavailableFile, { force: true });
    const configure = spawnSync(process.execPath, [gyp, 'configure', ...common], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (configure.status !== 0) {
      const last = (configure.stderr || configure.stdout).trim().split('\n').filter((l) => /ERR!/.test(l)).slice(0, 3).join(' | ');
      unavailable(`node-gyp configure failed: ${last || 'see node-gyp output'}`);
    }
    writeAtomic(configFile, key);
  }
  const jobs = String(Math.max(1, Math.min(2, Number(process.env['JOBS'] ?? 2))));
  const build = spawnSync(process.execPath, [gyp, 'build', `--jobs=${jobs}`, ...common], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(`@atkd/backend-torch: compiling the addon against libtorch (${found.include}, ${found.lib}) failed`);
    process.exit(1);
  }
  rmSync(unavailableFile, { force: true });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
