// updateStudent in virtual time (rxjs TestScheduler): one step per batch, in order; an error that ends
// the stream at the bad batch; an unsubscribe that reaches the source. With a model (not a trainer)
// the operator owns its trainer: its momentum buffers are freed on complete, error and unsubscribe.
import * as tf from '@tensorflow/tfjs';
import { TEACHER_LOGITS, withPosition, withoutColumn } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { catchError, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateStudent, type StepMetrics } from '../src/index.js';
import { distillBatch, tinyModel } from './helpers.js';

const C = 10;
let model: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = tinyModel(C, 21);
});

afterAll(() => model.dispose());

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const at = (step: number, rows: number) => withPosition(distillBatch({ rows, classes: C, seed: 30 + step }), { epoch: 0, step });
const batches = { a: at(7, 2), b: at(8, 3), c: at(9, 4) };
const position = (m: StepMetrics) => `${m.step}:${m.size}`;

describe('updateStudent (marble tests, virtual time)', () => {
  it('ORDER: one step per batch, at its frame, in order; the owned trainer is freed at completion', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a--b-c|', batches);
      expectObservable(src.pipe(updateStudent(model, { lr: 0.01 }), map(position))).toBe('-x--y-z|', { x: '7:2', y: '8:3', z: '9:4' });
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ERROR: a batch without teacher_logits errors at its frame, naming the column; the source is unsubscribed and the trainer freed', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a-b-c|', { ...batches, b: withoutColumn(batches.b, TEACHER_LOGITS) });
      const out = src.pipe(updateStudent(model, { lr: 0.01 }), map(position), catchError((e: Error) => of(e.message)));
      expectObservable(out).toBe('-x-(e|)', { x: '7:2', e: expect.stringMatching(/"teacher_logits"/) });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('UNSUBSCRIBE: reaches the source at the same frame, no step after it, the trainer freed', () => {
    const before = tf.memory().numTensors;
    const weights = model.getWeights().map((w) => w.dataSync().slice());
    let steps = 0;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a--b--c|', batches);
      expectObservable(src.pipe(updateStudent(model, { lr: 0.01 }), map((m) => (steps++, position(m)))), '^---!').toBe('-x--', { x: '7:2' });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
    expect(steps).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // the one step moved the weights (it ran)
    expect(model.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== weights[i][j]))).toBe(true);
  });
});
