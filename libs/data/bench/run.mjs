#!/usr/bin/env node
// `nx run data:bench`: import time of the full CIFAR-100 train set and throughput of the batch source,
// each next to a plain baseline measured in the same run (ratios, not lone times).
//
//   import:  importCifar100 of train.bin  vs  a plain copy of the same bytes (read + write a file)
//   stream:  cifarBatches (shuffled + augmented, batch 128)  vs  a plain sequential read of the same
//            Arrow file; and against what a training step consumes (TF.js resnet8 ~58 img/s,
//            PyTorch ~600 img/s here). The issue asks for >= 50x the training rate.
//
// Uses ../shared/data/cifar-100-binary (from the repo root); without it, a synthetic set of the same
// size (random pixels) and says so. Each figure is the median of REPEATS runs, interleaved.
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, reduce } from 'rxjs';
import { cifarBatches, importCifar100, toNormalizedNHWC } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const FULL = resolve(root, '..', 'shared', 'data', 'cifar-100-binary');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TRAIN_STEP_RATES = { 'TF.js resnet8 train step': 58, 'PyTorch resnet8 train step': 600 };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  return { s: (performance.now() - t0) / 1000, r };
};

const work = await mkdtemp(join(tmpdir(), 'atkd-data-bench-'));
try {
  // The source: the full data, or a synthetic stand-in of the same size.
  const src = join(work, 'src');
  await mkdir(src);
  let synthetic = false;
  if (existsSync(join(FULL, 'train.bin'))) {
    await symlink(join(FULL, 'train.bin'), join(src, 'train.bin'));
    for (const f of ['fine_label_names.txt', 'coarse_label_names.txt']) await copyFile(join(FULL, f), join(src, f));
  } else {
    synthetic = true;
    console.log(`note: ${FULL} not found; benchmarking a synthetic train.bin of 50,000 random records`);
    const rec = Buffer.alloc(50_000 * 3074);
    for (let i = 0; i < 50_000; i++) {
      rec[i * 3074] = i % 20;
      rec[i * 3074 + 1] = i % 100;
      for (let j = 2; j < 3074; j += 7) rec[i * 3074 + j] = (i * 31 + j) & 255;
    }
    await writeFile(join(src, 'train.bin'), rec);
    await writeFile(join(src, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `f${i}`).join('\n'));
    await writeFile(join(src, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `c${i}`).join('\n'));
  }
  // A one-record test.bin, so that the import is (almost) all train set.
  const one = Buffer.alloc(3074);
  one[0] = 10;
  one[1] = 49;
  await writeFile(join(src, 'test.bin'), one);

  // --- import vs plain copy -------------------------------------------------------------------
  const plainCopy = () => {
    const i = openSync(join(src, 'train.bin'), 'r');
    const o = openSync(join(work, 'copy.bin'), 'w');
    const buf = Buffer.alloc(1 << 20);
    let n;
    while ((n = readSync(i, buf, 0, buf.length, null)) > 0) writeSync(o, buf, 0, n);
    closeSync(i);
    closeSync(o);
  };
  const imports = [];
  const copies = [];
  const out = join(work, 'data');
  for (let k = 0; k < REPEATS; k++) {
    copies.push((await time(plainCopy)).s);
    imports.push((await time(() => importCifar100({ from: src, to: out }))).s);
  }
  await rm(join(work, 'copy.bin'), { force: true });
  const importS = median(imports);
  const copyS = median(copies);

  // --- stream vs plain sequential read --------------------------------------------------------
  const train = join(out, 'train.arrow');
  const sequentialRead = () => {
    const fd = openSync(train, 'r');
    const buf = Buffer.alloc(4 << 20);
    let bytes = 0;
    let n;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) bytes += n;
    closeSync(fd);
    return bytes;
  };
  const stream = (o) => lastValueFrom(cifarBatches(train, { batchSize: 128, seed: 1, ...o }).pipe(reduce((a, b) => a + b.size, 0)));
  const configs = {
    'plain sequential read of train.arrow': async () => {
      sequentialRead();
      return 50_000;
    },
    'cifarBatches, file order': () => stream({}),
    'cifarBatches, shuffled': () => stream({ shuffle: true }),
    'cifarBatches, shuffled + augmented': () => stream({ shuffle: true, augment: true }),
    'cifarBatches, shuffled + augmented, thread-pool reads': () => stream({ shuffle: true, augment: true, syncReads: false }),
    'cifarBatches, shuffled + augmented, inMemory (incl. load)': () => stream({ shuffle: true, augment: true, inMemory: true }),
    'cifarBatches, shuffled + augmented + toNormalizedNHWC': () =>
      lastValueFrom(
        cifarBatches(train, { batchSize: 128, seed: 1, shuffle: true, augment: true }).pipe(
          reduce((a, b) => {
            toNormalizedNHWC(b);
            return a + b.size;
          }, 0),
        ),
      ),
  };
  const rates = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  for (let k = 0; k < REPEATS; k++) {
    for (const [name, fn] of Object.entries(configs)) {
      const { s, r } = await time(fn);
      rates[name].push(r / s);
    }
  }
  const rate = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  const base = rate['plain sequential read of train.arrow'];
  const target = rate['cifarBatches, shuffled + augmented'];

  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`\n@atkd/data bench (${synthetic ? 'SYNTHETIC data' : 'full CIFAR-100 train set'}, median of ${REPEATS}, node ${process.version})\n`);
  console.log('import of train.bin (50,000 records, 153.7 MB):');
  console.log(`  importCifar100                   ${importS.toFixed(2)} s  (${fmt(50_000 / importS)} img/s)`);
  console.log(`  plain copy of the same bytes     ${copyS.toFixed(2)} s`);
  console.log(`  ratio import / plain copy        ${(importS / copyS).toFixed(1)}x the time`);
  console.log('\nstream throughput, images/s (ratio to the plain sequential read):');
  for (const [k, v] of Object.entries(rate)) console.log(`  ${k.padEnd(58)} ${fmt(v).padStart(10)}  ${(v / base).toFixed(3)}`);
  console.log('\nshuffled + augmented source vs a training step:');
  for (const [k, v] of Object.entries(TRAIN_STEP_RATES)) console.log(`  ${k.padEnd(30)} ${String(v).padStart(5)} img/s  -> source is ${fmt(target / v)}x faster (needs >= 50x: ${target / v >= 50 ? 'yes' : 'NO'})`);
  const report = { synthetic, repeats: REPEATS, import: { seconds: importS, plainCopySeconds: copyS }, imagesPerSecond: rate, ratioToSequentialRead: Object.fromEntries(Object.entries(rate).map(([k, v]) => [k, v / base])), trainStep: TRAIN_STEP_RATES };
  await mkdir(join(root, 'reports', 'bench'), { recursive: true });
  await writeFile(join(root, 'reports', 'bench', 'data.json'), `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
