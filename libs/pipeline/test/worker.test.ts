import * as tf from '@tensorflow/tfjs';
import { readFloat32, readLogits, TEACHER_LOGITS, TEMPERATURE, withoutColumn } from '@atkd/columns';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { withTeacherLogits } from '@atkd/teacher';
import type { Worker } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '@atkd/models';
import { from, lastValueFrom, map, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distill, workerStage } from '../src/index.js';
import { poolDense } from './helpers.js';

const TRAIN = splitFile(sampleDataDir(), 'train');
let teacher: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  teacher = poolDense(100, 1);
});

afterAll(() => teacher.dispose());

describe('workerStage', () => {
  it('runs the temperature and soft-targets stages in worker threads with the same results', async () => {
    const run = async (inWorkers: boolean) => {
      const student = poolDense(100, 2);
      const steps = await lastValueFrom(
        distill({
          source: cifarBatches(TRAIN, { batchSize: 50 }),
          teacher,
          student,
          wrap: inWorkers
            ? (name, stage) =>
                name === 'temperature' ? workerStage({ module: '@atkd/pipeline/factories', export: 'temperatureStageFactory', args: ['adaptive'] })
                : name === 'soft-targets' ? workerStage({ module: '@atkd/pipeline/factories', export: 'softTargetsStageFactory', args: [{}] })
                : stage
            : undefined,
        }).pipe(toArray()),
      );
      student.dispose();
      return steps;
    };
    const local = await run(false);
    const remote = await run(true);
    expect(remote.map((m) => m.step)).toEqual(local.map((m) => m.step));
    // the record-batch metadata (epoch / step / stage metrics) crossed the thread boundary too
    expect(remote[3].stages).toEqual(local[3].stages);
    for (let i = 0; i < local.length; i++) {
      expect(remote[i].loss.kd).toBeCloseTo(local[i].loss.kd, 5);
      expect(remote[i].temperature).toEqual(local[i].temperature);
    }
  });

  it('runs the teacher in a worker (model loaded there from a TF.js directory)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atkd-worker-teacher-'));
    try {
      await saveModel(teacher, dir);
      const batches = await lastValueFrom(cifarBatches(TRAIN, { batchSize: 40 }).pipe(take(2), map(toRecordBatch), toArray()));
      const out = await lastValueFrom(from(batches).pipe(workerStage({ module: '@atkd/pipeline', export: 'teacherStageFactory', args: [dir, { backend: 'cpu' }] }), toArray()));
      expect(out.length).toBe(2);
      for (let i = 0; i < 2; i++) {
        const want = withTeacherLogits(teacher, batches[i]);
        const a = readLogits(out[i], TEACHER_LOGITS, 100).values;
        const b = readLogits(want, TEACHER_LOGITS, 100).values;
        for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 5);
        expect(out[i].schema.fields.map((f) => f.name)).toEqual(want.schema.fields.map((f) => f.name));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a stage error from the worker naming the column, and terminates the worker on unsubscribe', async () => {
    const [batch] = await lastValueFrom(cifarBatches(TRAIN, { batchSize: 8 }).pipe(take(1), map(toRecordBatch), toArray()));
    const withLogits = withTeacherLogits(teacher, batch);
    await expect(lastValueFrom(from([withoutColumn(withLogits, TEACHER_LOGITS)]).pipe(workerStage({ module: '@atkd/pipeline/factories', export: 'temperatureStageFactory', args: ['adaptive'] })))).rejects.toThrow(/"teacher_logits"/);
    await expect(lastValueFrom(from([withLogits]).pipe(workerStage({ module: '@atkd/pipeline/factories', export: 'nope' })))).rejects.toThrow(/no function "nope"/);

    // take(1) unsubscribes after the first result: the stage must terminate its worker (exit code 1,
    // threadId -1 once it has stopped) although two batches are still unanswered
    let worker: Worker | undefined;
    const results: number[] = [];
    let completed = false;
    const code = await new Promise<number>((resolve) => {
      from([withLogits, withLogits, withLogits])
        .pipe(workerStage({ module: '@atkd/pipeline/factories', export: 'temperatureStageFactory', args: ['static'] }, { onWorker: (w) => { worker = w; w.on('exit', resolve); } }), take(1))
        .subscribe({ next: (b) => results.push(readFloat32(b, TEMPERATURE).length), complete: () => (completed = true) });
    });
    expect(code).toBe(1); // terminate()d, not a normal exit (0)
    expect(worker!.threadId).toBe(-1);
    expect(results).toEqual([8]);
    expect(completed).toBe(true);
  });
});
