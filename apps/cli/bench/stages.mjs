#!/usr/bin/env node
// In-process stage times, one engine thread: the teacher stage (addTeacherLogits, resnet20, the embedded
// trained teacher) and the whole pipeline (distill resnet20 -> resnet8), ms a batch of 64 over the
// embedded sample; median of --rounds after a warm-up. For A/B runs of two checkouts, alternating.
// --torch-first imports @atkd/backend-torch before anything imports @tensorflow/tfjs (the import order
// that once left training on TF.js's composed gradients).
//   taskset -c 0 node bench/stages.mjs [--rounds 3] [--torch-first]
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'torch-first': { type: 'boolean', default: false } } });
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${args.rounds}`);
process.env.ATKD_THREADS ??= '1';
if (args['torch-first']) await import('@atkd/backend-torch');
const { initBackend } = await import('@atkd/backend');
const { cifarBatches, sampleDataDir, splitFile, toRecordBatch } = await import('@atkd/data');
const { createModel, loadAnyModel } = await import('@atkd/models');
const { addTeacherLogits } = await import('@atkd/teacher');
const { distill } = await import('@atkd/pipeline');
const { StudentTrainer } = await import('@atkd/student');
const { from, lastValueFrom, map, of, take, toArray } = await import('rxjs');

const info = await initBackend({ log: false });
const model = await loadAnyModel(join(resolve(import.meta.dirname, '..'), 'assets', 'teacher-resnet20.pth'), { arch: 'resnet20', classes: 100 });
const op = addTeacherLogits(model);
const batches = await lastValueFrom(cifarBatches(splitFile(sampleDataDir(), 'train'), { batchSize: 64, epochs: 5 }).pipe(take(24), map((b) => toRecordBatch(b)), toArray()));
const trainer = new StudentTrainer(createModel('resnet8', { classes: 100 }));
const teacher = async () => {
  const t = performance.now();
  for (const b of batches) await lastValueFrom(of(b).pipe(op));
  return (performance.now() - t) / batches.length;
};
const pipeline = async () => {
  const t = performance.now();
  await lastValueFrom(distill({ source: from(batches.slice(0, 16)), teacher: model, student: trainer }).pipe(toArray()));
  return (performance.now() - t) / 16;
};
await teacher();
await pipeline();
const T = [];
const P = [];
for (let i = 0; i < rounds; i++) {
  T.push(await teacher());
  P.push(await pipeline());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(JSON.stringify({ engine: info.name, threads: info.threads, torchFirst: args['torch-first'], teacherMs: +median(T).toFixed(2), pipelineMs: +median(P).toFixed(2) }));
trainer.dispose();
model.dispose();
