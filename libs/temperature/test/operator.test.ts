import { META, readBatchMetrics, readFloat32, readTemperatureMeta, STUDENT_TEMPERATURE, TEMPERATURE, withPosition } from '@atkd/columns';
import { maxLogitTemperature } from '@atkd/math';
import type { RecordBatch } from 'apache-arrow';
import { catchError, firstValueFrom, from, lastValueFrom, map, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { withTemperature, getStrategy, roundUpToFloat32, addTemperature } from '../src/index.js';
import { logitsBatch, randomLogits } from './helpers.js';

const C = 10;

describe('temperature operator', () => {
  it('adds a Float32 temperature column and passes every other column through', async () => {
    const b = logitsBatch(randomLogits(4, C, 3), C);
    const [out] = await lastValueFrom(from([b]).pipe(addTemperature(getStrategy('adaptive-teacher')), toArray()));
    expect(out.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['index:Uint32', `teacher_logits:FixedSizeList[${C}]<Float32>`, 'temperature:Float32']);
    expect(out.getChild('index')!.data[0]).toBe(b.getChild('index')!.data[0]);
    expect(out.getChild('teacher_logits')!.data[0]).toBe(b.getChild('teacher_logits')!.data[0]);
    expect(out.schema.metadata.get('format')).toBe('test/1');
    const ref = maxLogitTemperature(randomLogits(4, C, 3), C);
    expect(Array.from(readFloat32(out, TEMPERATURE))).toEqual(Array.from(ref, roundUpToFloat32));
    const meta = readTemperatureMeta(out.schema);
    expect(meta).toMatchObject({ strategy: 'adaptive-teacher', standardize: true, eps: 1e-7, pending: undefined, options: { standardize: true, eps: 1e-7 } });
    const m = readBatchMetrics(out);
    expect(m['temperature.pending']).toBe(false);
    expect(m['temperature.max']).toBe(Math.max(...readFloat32(out, TEMPERATURE)));
  });

  it('marks needs-student strategies pending without student logits, final with them', () => {
    const t = randomLogits(3, C, 5);
    const s = randomLogits(3, C, 6, 9);
    const paired = getStrategy('adaptive');
    const pending = withTemperature(logitsBatch(t, C), paired);
    expect(readTemperatureMeta(pending.schema).pending).toBe('student');
    expect(readBatchMetrics(pending)['temperature.pending']).toBe(true);
    const final = withTemperature(logitsBatch(t, C, s), paired);
    expect(final.schema.metadata.has(META.temperaturePending)).toBe(false);
    expect(Array.from(readFloat32(final, TEMPERATURE))).toEqual(Array.from(maxLogitTemperature(t, C, { student: s }), roundUpToFloat32));
  });

  it('writes student_temperature for dtkd', () => {
    const t = randomLogits(3, C, 5, 6);
    const s = randomLogits(3, C, 6, 2);
    const out = withTemperature(logitsBatch(t, C, s), getStrategy('dtkd'));
    const tt = readFloat32(out, TEMPERATURE);
    const ts = readFloat32(out, STUDENT_TEMPERATURE);
    for (let b = 0; b < 3; b++) expect(tt[b] + ts[b]).toBeCloseTo(8, 5);
  });

  it('replaces an existing temperature column instead of adding a second one', () => {
    const once = withTemperature(logitsBatch(randomLogits(2, C, 1), C), getStrategy('static'));
    const twice = withTemperature(once, getStrategy('static', { temperature: 7 }));
    expect(twice.schema.fields.filter((f) => f.name === TEMPERATURE).length).toBe(1);
    expect(Array.from(readFloat32(twice, TEMPERATURE))).toEqual([7, 7]);
    expect(readTemperatureMeta(twice.schema).options).toEqual({ temperature: 7 });
  });

  it('errors naming the missing column, the class mismatch, and a non-finite logit', async () => {
    const b = logitsBatch(randomLogits(2, C, 1), C);
    const noTeacher = b.select(['index']);
    await expect(firstValueFrom(from([noTeacher]).pipe(addTemperature(getStrategy('static'), { source: 'stdin' })))).rejects.toThrow(
      'stdin: column "teacher_logits" is missing (columns present: index)',
    );
    expect(() => withTemperature(b, getStrategy('static'), { classes: 100 })).toThrow('column "teacher_logits" has 10 classes per row (FixedSizeList[10]), expected 100');
    const bad = randomLogits(2, C, 1);
    bad[13] = Number.NaN;
    expect(() => withTemperature(logitsBatch(bad, C), getStrategy('adaptive'))).toThrow('column "teacher_logits" has a non-finite value NaN at row 1, class 3');
  });

  it("hands a scheduled strategy the batch's own epoch (1-based) from its position; an explicit context wins", () => {
    const seen: unknown[] = [];
    const base = getStrategy('static');
    const spy = { ...base, compute: (...args: Parameters<typeof base.compute>) => (seen.push(args[3]), base.compute(...args)) };
    const b = logitsBatch(randomLogits(2, C, 1), C);
    withTemperature(withPosition(b, { epoch: 2, step: 17 }), spy);
    withTemperature(b, spy);
    withTemperature(withPosition(b, { epoch: 2, step: 17 }), spy, { context: { epoch: 9 } });
    expect(seen).toEqual([{ epoch: 3 }, undefined, { epoch: 9 }]);
  });

  it('uses the current value of a learnable strategy for each batch', () => {
    const ctkd = getStrategy('ctkd');
    const t = randomLogits(4, C, 1, 8);
    const s = randomLogits(4, C, 2, 2);
    const before = readFloat32(withTemperature(logitsBatch(t, C), ctkd), TEMPERATURE)[0];
    if (!('learn' in ctkd)) throw new Error('ctkd must be learnable');
    (ctkd as import('../src/index.js').LearnableTemperatureStrategy).learn(t, s, C, { epoch: 10 });
    const after = readFloat32(withTemperature(logitsBatch(t, C), ctkd), TEMPERATURE)[0];
    expect(after).not.toBe(before);
  });
});

describe('addTemperature (marble tests, virtual time)', () => {
  const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
  const batches = { a: logitsBatch(randomLogits(1, C, 1), C), b: logitsBatch(randomLogits(2, C, 2), C), c: logitsBatch(randomLogits(3, C, 3), C) };
  const temps = (batch: RecordBatch) => Array.from(readFloat32(batch, TEMPERATURE));
  const reference = (seed: number, rows: number) => Array.from(maxLogitTemperature(randomLogits(rows, C, seed), C), roundUpToFloat32);

  it('ORDER: one batch out per batch in, at its frame, in order, each with its own temperatures', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a--b-c|', batches);
      expectObservable(src.pipe(addTemperature(getStrategy('static', { temperature: 3 })), map(temps))).toBe('-x--y-z|', { x: [3], y: [3, 3], z: [3, 3, 3] });
      const adaptive = cold<RecordBatch>('-c-a-b|', batches);
      expectObservable(adaptive.pipe(addTemperature(getStrategy('adaptive-teacher')), map(temps))).toBe('-z-x-y|', { x: reference(1, 1), y: reference(2, 2), z: reference(3, 3) });
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
  });

  it('ERROR: a non-finite logit errors at its batch, naming row and class, and unsubscribes the source there', () => {
    const bad = randomLogits(2, C, 2);
    bad[C + 4] = Number.POSITIVE_INFINITY;
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a-b-c|', { ...batches, b: logitsBatch(bad, C) });
      const out = src.pipe(addTemperature(getStrategy('adaptive-teacher'), { source: 'stdin' }), map(temps), catchError((e: Error) => of(e.message)));
      expectObservable(out).toBe('-x-(e|)', { x: reference(1, 1), e: 'stdin: column "teacher_logits" has a non-finite value Infinity at row 1, class 4' });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('UNSUBSCRIBE: reaches the source at the same frame; the strategy computes nothing after it', () => {
    const strategy = getStrategy('adaptive-teacher');
    let computed = 0;
    const counting = { ...strategy, compute: (...args: Parameters<typeof strategy.compute>) => (computed++, strategy.compute(...args)) };
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<RecordBatch>('-a--b--c|', batches);
      expectObservable(src.pipe(addTemperature(counting), map(temps)), '^---!').toBe('-x--', { x: reference(1, 1) });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
    expect(computed).toBe(1);
  });
});
