#!/usr/bin/env node
// The KD step as a stream pipeline, with and without overlap, against the authors' loop in PyTorch,
// side by side in one run (issue 12's stretch goal): `distill` of @atkd/pipeline over N batches of 64
// (the embedded sample, epochs repeated), teacher -> paired adaptive temperature -> soft targets ->
// student SGD step, on the torch engine:
//   inline-1: every stage in the main thread, 1 ATen thread;
//   inline-2: the same with 2 ATen threads (every core of this 2-core machine: `--threads` of atkd);
//   overlap:  the teacher stage in a worker thread (workerStage, 1 ATen thread there) computing the
//             next batches while the main thread (1 ATen thread) trains the student: 2 cores;
// and PyTorch's KD step (tools/backend-torch-bench.py: the same teacher / student, batch 64, 2 threads,
// teacher forward then student step, one after the other). Teachers have their initial weights (the
// cost of a forward pass does not depend on them). Paired rounds: ours then PyTorch, per round.
// The worker starts once per run (its thread, engine and teacher load: under a second here), so a run needs enough
// batches for that to vanish (12 batches gave overlap 0.67x PyTorch, 48 gave 0.97x).
// Usage: node bench/kd-overlap.mjs [--pairs resnet56:resnet20,resnet32x4:resnet8x4] [--batches 48] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { setTorchThreads } from '@atkd/backend-torch';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { createModel, saveModel } from '@atkd/models';
import { distill, workerStage } from '@atkd/pipeline';
import { StudentTrainer } from '@atkd/student';
import { from, lastValueFrom, map, take, toArray } from 'rxjs';
import { PyTorchPeer } from '../../backend/bench/peer.mjs';

// (the OpenMP wait policy is set by @atkd/backend-torch itself before libtorch loads, in this main thread)
process.env['ATKD_THREADS'] = '1'; // the main thread's engine; a worker thread's engine takes 1 by default

const { values: args } = parseArgs({ options: {
  pairs: { type: 'string', default: 'resnet56:resnet20,resnet32x4:resnet8x4' },
  batches: { type: 'string', default: '48' },
  rounds: { type: 'string', default: '3' },
} });
const N = Number(args.batches);
const ROUNDS = Number(args.rounds);
const B = 64;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const log = (s) => process.stderr.write(s + '\n');
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const info = await initBackend({ prefer: 'torch', log: false });
if (info.name !== 'torch') throw new Error(`kd-overlap: needs the torch engine, got ${info.name}`);
const sample = splitFile(sampleDataDir(), 'train');
const batches = await lastValueFrom(cifarBatches(sample, { batchSize: B, epochs: Math.ceil(N / 6) + 1 }).pipe(take(N), map((b) => toRecordBatch(b)), toArray()));
const peer = await PyTorchPeer.start(root, B);
if (peer.skipped) log(peer.skipped);
const tmp = mkdtempSync(join(tmpdir(), 'atkd-kd-overlap-'));
const rows = [];
try {
  for (const pair of args.pairs.split(',').filter(Boolean)) {
    const [tName, sName] = pair.split(':');
    const teacher = createModel(tName);
    const dir = join(tmp, tName);
    await saveModel(teacher, dir); // the worker loads the same teacher from disk
    const trainer = new StudentTrainer(createModel(sName));
    const rate = async (mode) => {
      const wrap = mode === 'overlap'
        ? (name, stage) => (name === 'teacher' ? workerStage({ module: '@atkd/pipeline', export: 'teacherStageFactory', args: [dir, { backend: 'torch' }] }) : stage)
        : undefined;
      setTorchThreads(mode === 'inline-2' ? 2 : 1);
      try {
        const t0 = performance.now();
        await lastValueFrom(distill({ source: from(batches), teacher, student: trainer, wrap }).pipe(toArray()));
        return (N * B * 1000) / (performance.now() - t0);
      } finally {
        setTorchThreads(1);
      }
    };
    await rate('inline-1');
    await rate('overlap'); // warm-up: kernels, the worker's start
    const r = { pair, inline: [], inline2: [], overlap: [], torch: [] };
    for (let k = 0; k < ROUNDS; k++) {
      r.inline.push(await rate('inline-1'));
      r.inline2.push(await rate('inline-2'));
      r.overlap.push(await rate('overlap'));
      const p = await peer.request({ mode: 'kd', teacher: tName, student: sName, threads: 2, seconds: 3 });
      if (p !== undefined) r.torch.push(p);
      log(`${pair} round ${k + 1}: inline 1 thread ${r.inline[k].toFixed(1)}, inline 2 threads ${r.inline2[k].toFixed(1)}, overlap (teacher worker + student, 1 thread each) ${r.overlap[k].toFixed(1)}, PyTorch 2 threads ${p?.toFixed(1) ?? '—'} img/s`);
    }
    rows.push(r);
    trainer.dispose();
    teacher.dispose();
  }
} finally {
  peer.close();
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\nKD step as a pipeline (distill), torch engine, batch ${B}, ${N} batches a run, ${ROUNDS} rounds; img/s (median); ratio per round`);
console.log('| teacher -> student | inline, 1 thread | inline, 2 threads | overlap, 1+1 threads | PyTorch loop, 2 threads | overlap / inline 1 | inline 2 / PyTorch | overlap / PyTorch |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
const ratio = (a, b) => (b.length === a.length && a.length > 0 ? `${median(a.map((v, i) => v / b[i])).toFixed(2)}x` : '—');
for (const r of rows) {
  console.log(`| ${r.pair.replace(':', ' -> ')} | ${median(r.inline).toFixed(1)} | ${median(r.inline2).toFixed(1)} | ${median(r.overlap).toFixed(1)} | ${r.torch.length ? median(r.torch).toFixed(1) : '—'} | ` +
    `${ratio(r.overlap, r.inline)} | ${ratio(r.inline2, r.torch)} | ${ratio(r.overlap, r.torch)} |`);
}
