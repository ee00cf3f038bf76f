#!/usr/bin/env node
// Per-batch cost of each temperature strategy plus soft targets, as a ratio to one student training
// step, measured side by side in one run (the paper: the max-logit temperature is cheaper than its
// dynamic peers). Usage: npx nx run pipeline:bench [-- --student resnet8 --batch 64 --reps 30 --steps 3]
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { createModel } from '@atkd/models';
import { withSoftTargets } from '@atkd/soft-targets';
import { StudentTrainer } from '@atkd/student';
import { withTeacherLogits } from '@atkd/teacher';
import { withTemperature, getStrategy, isLearnable, strategyNames } from '@atkd/temperature';
import { firstValueFrom } from 'rxjs';

const { values: args } = parseArgs({
  options: {
    student: { type: 'string', default: 'resnet8' },
    teacher: { type: 'string', default: 'resnet8x4' },
    batch: { type: 'string', default: '64' },
    reps: { type: 'string', default: '30' },
    steps: { type: 'string', default: '3' },
  },
});
const batchSize = Number(args.batch);
const reps = Number(args.reps);
const steps = Number(args.steps);

const info = await initBackend({ log: false });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f) => { const t = performance.now(); f(); return performance.now() - t; };

const source = await firstValueFrom(cifarBatches(splitFile(sampleDataDir(), 'train'), { batchSize }));
const teacher = createModel(args.teacher);
const base = withTeacherLogits(teacher, toRecordBatch(source));
teacher.dispose();

// one student training step (forward, backward, SGD update) on the same batch, adaptive temperature
const student = createModel(args.student);
const trainer = new StudentTrainer(student);
const ready = withSoftTargets(withTemperature(base, getStrategy('adaptive')));
trainer.step(ready); // warm-up: kernels, optimizer state
const stepMs = median(Array.from({ length: steps }, () => time(() => trainer.step(ready))));
const studentLogits = new Float32Array(batchSize * 100).map((_, i) => Math.sin(i * 12.9898) * 3);

console.log(`backend ${info.name}; batch ${batchSize}, 100 classes; student ${args.student} training step (median of ${steps}): ${stepMs.toFixed(1)} ms`);
console.log('strategy                 | temperature+soft targets | + student-side finish/learn | ratio to a student step');
const rows = [];
for (const name of strategyNames()) {
  const strategy = getStrategy(name);
  const stage = () => withSoftTargets(withTemperature(base, strategy));
  stage();
  const stageMs = median(Array.from({ length: reps }, () => time(stage)));
  let extraMs = 0;
  const teacherLogits = base.getChild('teacher_logits').data[0].children[0].values.subarray(0, batchSize * 100);
  if (strategy.needsStudent && strategy.finish) extraMs = median(Array.from({ length: reps }, () => time(() => strategy.finish(teacherLogits, studentLogits, 100))));
  if (isLearnable(strategy)) extraMs = median(Array.from({ length: reps }, () => time(() => strategy.learn(teacherLogits, studentLogits, 100, { epoch: 1 }))));
  const total = stageMs + extraMs;
  rows.push({ name, stageMs, extraMs, ratio: total / stepMs });
  console.log(`${name.padEnd(24)} | ${stageMs.toFixed(3).padStart(9)} ms             | ${extraMs.toFixed(3).padStart(9)} ms                | ${(total / stepMs).toExponential(2)}`);
}
const adaptive = rows.find((r) => r.name === 'adaptive');
for (const r of rows) if (r !== adaptive) console.log(`${r.name}: ${((r.stageMs + r.extraMs) / (adaptive.stageMs + adaptive.extraMs)).toFixed(2)}x the cost of adaptive`);
trainer.dispose();
student.dispose();
