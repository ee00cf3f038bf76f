// Across the libraries (data, teacher, temperature, soft targets, student, pipeline, backend, math), end to end on the embedded sample (real CIFAR-100 images): a tiny teacher trained briefly on the
// sample, then distillation through the whole pipeline; the KD loss must fall and rho must rise.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile } from '@atkd/data';
import { kdLoss, pearson } from '@atkd/math';
import { evaluate, topKCorrect } from '@atkd/student';
import { predictLogits } from '@atkd/teacher';
import { lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distill, type DistillStep } from '@atkd/pipeline';
import { tinyCnn, trainClassifier } from './helpers.js';

const TRAIN = splitFile(sampleDataDir(), 'train');
const TEST = splitFile(sampleDataDir(), 'test');

/** Mean KD loss (adaptive temperature, z-scored, as in training) and mean rho of student vs teacher on the held-out split. */
async function heldOut(teacher: tf.LayersModel, student: tf.LayersModel): Promise<{ kd: number; rho: number; top1: number }> {
  const [batch] = await lastValueFrom(cifarBatches(TEST, { batchSize: 200 }).pipe(toArray()));
  const t = predictLogits(teacher, batch.images);
  const s = predictLogits(student, batch.images);
  const rho = pearson(t, s, 100);
  const top1 = topKCorrect(s, batch.fine, 100, 1) / batch.size;
  return { kd: kdLoss(s, t, 100, { temperature: 'adaptive' }), rho: rho.reduce((a, b) => a + b, 0) / rho.length, top1 };
}

beforeAll(async () => {
  // the fastest engine here: wasm with @atkd/backend's training kernels (cpu's conv gradients are ~100x slower)
  await initBackend({ prefer: 'wasm', log: false });
});

function epochMeans(steps: DistillStep[], epoch: number): { kd: number; rho: number; ce: number } {
  const s = steps.filter((m) => m.epoch === epoch);
  const w = s.reduce((n, m) => n + m.size, 0);
  const mean = (f: (m: DistillStep) => number) => s.reduce((a, m) => a + f(m) * m.size, 0) / w;
  return { kd: mean((m) => m.loss.kd), rho: mean((m) => m.rho), ce: mean((m) => m.loss.ce) };
}

describe('distill on the embedded sample', () => {
  it('moves the student toward the teacher: KD loss falls, rho rises', async () => {
    const t0 = performance.now();
    const teacher = tinyCnn(100, 1, [16, 32]);
    const teacherLoss = await trainClassifier(teacher, TRAIN, 12, { batchSize: 50, lr: 0.1 });
    const tTeacher = performance.now() - t0;
    const student = tinyCnn(100, 100, [8, 16]);
    const heldBefore = await heldOut(teacher, student);
    const before = tf.memory().numTensors;
    const epochs = 8;
    const steps = await lastValueFrom(
      distill({
        source: cifarBatches(TRAIN, { batchSize: 50, shuffle: true, seed: 7, epochs }),
        teacher,
        strategy: 'adaptive',
        student,
        studentOptions: { lr: 0.05 },
      }).pipe(toArray()),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(steps.length).toBe(epochs * 8);
    const heldAfter = await heldOut(teacher, student);
    const teacherTest = await lastValueFrom(cifarBatches(TEST, { batchSize: 100 }).pipe(evaluate(teacher)));
    const first = epochMeans(steps, 0);
    const last = epochMeans(steps, epochs - 1);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `[e2e] teacher CE after training ${teacherLoss.toFixed(3)} (${(tTeacher / 1000).toFixed(1)} s); ` +
        `KD ${first.kd.toFixed(4)} -> ${last.kd.toFixed(4)}, rho ${first.rho.toFixed(4)} -> ${last.rho.toFixed(4)}, ` +
        `CE ${first.ce.toFixed(3)} -> ${last.ce.toFixed(3)}; held-out (test split) KD ${heldBefore.kd.toFixed(4)} -> ${heldAfter.kd.toFixed(4)}, ` +
        `rho ${heldBefore.rho.toFixed(4)} -> ${heldAfter.rho.toFixed(4)}, student top-1 ${heldBefore.top1.toFixed(3)} -> ${heldAfter.top1.toFixed(3)} ` +
        `(teacher top-1 ${teacherTest.top1.toFixed(3)}, top-5 ${teacherTest.top5.toFixed(3)}); student ${steps.at(-1)!.imgPerSec.toFixed(0)} img/s, pipeline ${steps.at(-1)!.throughput.toFixed(0)} img/s, total ${seconds.toFixed(1)} s`,
    );
    expect(last.kd).toBeLessThan(first.kd * 0.85);
    expect(last.rho).toBeGreaterThan(first.rho + 0.05);
    // and it generalises to the held-out images
    expect(heldAfter.kd).toBeLessThan(heldBefore.kd);
    expect(heldAfter.rho).toBeGreaterThan(heldBefore.rho);
    for (const m of steps) {
      expect(m.temperature.min).toBeGreaterThan(0);
      expect(m.stages['soft_targets.outside_radius']).toBe(0); // the max-logit temperature keeps every |z/T| <= sqrt(3) - 1
    }
    teacher.dispose();
    student.dispose();
  }, 120_000);
});
