#!/usr/bin/env node
// Pipeline throughput with the teacher in the main thread vs in a worker thread (workerStage), side by
// side in one run: with the teacher in a worker, its forward pass of batch k+1 overlaps the student's
// training step on batch k. Usage: node bench/overlap.mjs [--teacher resnet8x4 --student resnet8 --batch 64 --rounds 2]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile } from '@atkd/data';
import { createModel, saveModel } from '@atkd/models';
import { distill, workerStage } from '@atkd/pipeline';
import { lastValueFrom, toArray } from 'rxjs';

const { values: args } = parseArgs({
  options: {
    teacher: { type: 'string', default: 'resnet8x4' },
    student: { type: 'string', default: 'resnet8' },
    batch: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
  },
});
const info = await initBackend({ log: false });
const dir = await mkdtemp(join(tmpdir(), 'atkd-overlap-'));
const teacher = createModel(args.teacher);
await saveModel(teacher, dir);
const file = splitFile(sampleDataDir(), 'train');

async function run(inWorker) {
  const student = createModel(args.student);
  const steps = await lastValueFrom(
    distill({
      source: cifarBatches(file, { batchSize: Number(args.batch), dropLast: true }),
      teacher,
      student,
      wrap: inWorker ? (name, stage) => (name === 'teacher' ? workerStage({ module: '@atkd/pipeline', export: 'teacherStageFactory', args: [dir] }) : stage) : undefined,
    }).pipe(toArray()),
  );
  student.dispose();
  // steady state: from the first step's emission (worker start-up and warm-up excluded) to the last
  const later = steps.slice(1);
  const ms = later.reduce((s, m) => s + m.wallMs, 0);
  return (later.reduce((s, m) => s + m.size, 0) * 1000) / ms;
}

const results = { main: [], worker: [] };
for (let r = 0; r < Number(args.rounds); r++) {
  results.main.push(await run(false));
  results.worker.push(await run(true));
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`backend ${info.name}; teacher ${args.teacher}, student ${args.student}, batch ${args.batch}, ${args.rounds} alternating rounds`);
console.log(`teacher in the main thread: ${results.main.map((v) => v.toFixed(1)).join(', ')} img/s`);
console.log(`teacher in a worker:        ${results.worker.map((v) => v.toFixed(1)).join(', ')} img/s`);
console.log(`worker / main throughput ratio: ${(mean(results.worker) / mean(results.main)).toFixed(2)}`);
teacher.dispose();
await rm(dir, { recursive: true, force: true });
