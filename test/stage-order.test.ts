// The order of the stages, seen by the compiler and at run time: every stage operator is typed by
// the columns it reads and adds (`Batch` / `AddColumns` of @atkd/columns), so a pipeline that runs a
// stage before the one whose column it needs does not compile (each `@ts-expect-error` below fails
// the typecheck if the types let the wrong order through), and at run time it errors naming the column.
import * as tf from '@tensorflow/tfjs';
import { SOFT_TARGETS, TEACHER_LOGITS, TEMPERATURE, type Batch } from '@atkd/columns';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { addSoftTargets, withSoftTargets } from '@atkd/soft-targets';
import { updateStudent } from '@atkd/student';
import { addTeacherLogits, withTeacherLogits } from '@atkd/teacher';
import { addTemperature, getStrategy, withTemperature } from '@atkd/temperature';
import { lastValueFrom, map, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyCnn } from './helpers.js';

let teacher: tf.LayersModel;
let student: tf.LayersModel;
/**
 * Two sample batches typed as carrying no stage column yet (`Batch`): the compiler follows the columns
 * from there. (A plain `RecordBatch` source is untyped: its columns are known only at run time, so
 * the stages' type parameters absorb whatever the next stage needs; the run-time checks remain.)
 */
const batches = () => cifarBatches(splitFile(sampleDataDir(), 'train'), { batchSize: 8 }).pipe(take(2), map((b): Batch => toRecordBatch(b)));

beforeAll(async () => {
  await tf.setBackend('cpu');
  teacher = tinyCnn(100, 1);
  student = tinyCnn(100, 2);
});
afterAll(() => {
  teacher.dispose();
  student.dispose();
});

describe('the order of the stages', () => {
  it('teacher -> temperature -> soft targets -> student compiles and runs, each batch typed by its columns', async () => {
    const steps = await lastValueFrom(batches().pipe(addTeacherLogits(teacher), addTemperature(getStrategy('adaptive-teacher')), addSoftTargets(), updateStudent(student), toArray()));
    expect(steps.map((m) => m.size)).toEqual([8, 8]);
    const [raw] = await lastValueFrom(batches().pipe(toArray()));
    const withAll: Batch<typeof TEACHER_LOGITS | typeof TEMPERATURE | typeof SOFT_TARGETS> = withSoftTargets(withTemperature(withTeacherLogits(teacher, raw), getStrategy('static')));
    expect(withAll.schema.fields.map((f) => f.name).slice(-3)).toEqual([TEACHER_LOGITS, TEMPERATURE, SOFT_TARGETS]);
  });

  it('soft targets before the temperature: a compile error, and at run time an error naming the column', async () => {
    // @ts-expect-error addSoftTargets needs the temperature column, which addTemperature adds later
    const wrong = batches().pipe(addTeacherLogits(teacher), addSoftTargets(), addTemperature(getStrategy('static')), updateStudent(student));
    await expect(lastValueFrom(wrong)).rejects.toThrow(/column "temperature" is missing/);
  });

  it('the temperature before the teacher: a compile error, and at run time an error naming the column', async () => {
    // @ts-expect-error addTemperature needs teacher_logits, which addTeacherLogits adds later
    const wrong = batches().pipe(addTemperature(getStrategy('static')), addTeacherLogits(teacher));
    await expect(lastValueFrom(wrong)).rejects.toThrow(/column "teacher_logits" is missing/);
  });

  it('the student without a temperature: a compile error, and at run time an error naming the column', async () => {
    // @ts-expect-error updateStudent needs teacher_logits and temperature; this stream has only teacher_logits
    const wrong = batches().pipe(addTeacherLogits(teacher), updateStudent(student));
    await expect(lastValueFrom(wrong)).rejects.toThrow(/"temperature"/);
  });
});
