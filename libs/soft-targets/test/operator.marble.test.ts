// addSoftTargets in virtual time (rxjs TestScheduler): order, error and unsubscribe.
import { SOFT_TARGETS, readLogits } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { catchError, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { addSoftTargets, computeSoftTargets } from '../src/index.js';
import { randomLogits, stageBatch } from './helpers.js';

const C = 10;
const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const rows = { a: 1, b: 2, c: 3 } as const;
const teacher = (k: keyof typeof rows) => randomLogits(rows[k], C, rows[k], 4);
const temps = (k: keyof typeof rows) => Float32Array.from({ length: rows[k] }, (_, i) => 1 + i + rows[k]);
const batches = { a: stageBatch(teacher('a'), C, temps('a'), true), b: stageBatch(teacher('b'), C, temps('b'), true), c: stageBatch(teacher('c'), C, temps('c'), true) };
const targets = (batch: RecordBatch) => Array.from(readLogits(batch, SOFT_TARGETS, C).values);
/** Taylor soft targets of order 2 on the z-scored logits, computed by the plain function. */
const reference = (k: keyof typeof rows) => Array.from(computeSoftTargets(teacher(k), C, temps(k), { order: 2, standardize: true, eps: 1e-7 }).targets);

describe('addSoftTargets (marble tests, virtual time)', () => {
  it('ORDER: one batch out per batch in, at its frame, in order, each with its own soft targets', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-b-a--c|', batches);
      expectObservable(src.pipe(addSoftTargets({ order: 2 }), map(targets))).toBe('-y-x--z|', { x: reference('a'), y: reference('b'), z: reference('c') });
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
  });

  it('ERROR: a temperature of 0 errors at its batch, naming the column and row, and unsubscribes the source there', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a--b-c|', { ...batches, b: stageBatch(teacher('b'), C, [2, 0], true) });
      const out = src.pipe(addSoftTargets({ order: 2, source: 'stdin' }), map(targets), catchError((e: Error) => of(e.message)));
      expectObservable(out).toBe('-x--(e|)', { x: reference('a'), e: 'stdin: column "temperature" has 0 at row 1; temperatures must be finite and > 0' });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });

  it('UNSUBSCRIBE: reaches the source at the same frame; nothing is emitted after it', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a-b---c|', batches);
      expectObservable(src.pipe(addSoftTargets(), map((b) => b.numRows)), '^----!').toBe('-1-2-', { 1: 1, 2: 2 });
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
  });
});
