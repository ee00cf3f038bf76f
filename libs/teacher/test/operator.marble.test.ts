// addTeacherLogits in virtual time (rxjs TestScheduler): one batch out per batch in, in order and at
// the frame it arrives; an error at the bad batch that ends the stream and unsubscribes the source;
// an unsubscribe that reaches the source; no tensor left behind in any of the three.
import * as tf from '@tensorflow/tfjs';
import { IMAGE, TEACHER_LOGITS, readLogits, withoutColumn } from '@atkd/columns';
import { sampleDataDir, splitFile } from '@atkd/data';
import type { RecordBatch } from 'apache-arrow';
import { catchError, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeacherLogits, withTeacherLogits } from '../src/index.js';
import { sampleBatches, tinyTeacher } from './helpers.js';

let teacher: tf.LayersModel;
let batches: Record<'a' | 'b' | 'c', RecordBatch>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  teacher = tinyTeacher(3);
  const [a, b, c] = await sampleBatches(splitFile(sampleDataDir(), 'train'), 4, 3);
  batches = { a, b, c };
});

afterAll(() => teacher.dispose());

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
/** What identifies an output batch: its first image index and its first row of teacher logits. */
const key = (batch: RecordBatch) => ({ index: batch.getChild('index')!.get(0) as number, logits: Array.from(readLogits(batch, TEACHER_LOGITS, 100).values.subarray(0, 100)) });

describe('addTeacherLogits (marble tests, virtual time)', () => {
  it('ORDER: each batch leaves at the frame it arrives, in order, with its own logits', () => {
    const want = { x: key(withTeacherLogits(teacher, batches.a)), y: key(withTeacherLogits(teacher, batches.b)), z: key(withTeacherLogits(teacher, batches.c)) };
    expect(want.x.index).not.toBe(want.y.index);
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b-c|', batches);
      expectObservable(src.pipe(addTeacherLogits(teacher), map(key))).toBe('-x--y-z|', want);
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ERROR: a batch without its image column errors at its frame, naming the column, and the source is unsubscribed there', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c|', { ...batches, b: withoutColumn(batches.b, IMAGE) });
      const out = src.pipe(addTeacherLogits(teacher), map((batch) => batch.getChild('index')!.get(0) as number), catchError((e: Error) => of(e.message)));
      expectObservable(out).toBe('-x-(e|)', { x: batches.a.getChild('index')!.get(0) as number, e: expect.stringMatching(/"image"/) });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('UNSUBSCRIBE: an unsubscribe downstream reaches the source at the same frame; nothing is computed after it', () => {
    let computed = 0;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b--c|', batches);
      const out = src.pipe(addTeacherLogits(teacher), map(() => ++computed));
      expectObservable(out, '^---!').toBe('-1--', { 1: 1 });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
    expect(computed).toBe(1);
  });
});
