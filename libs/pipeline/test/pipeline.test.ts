import * as tf from '@tensorflow/tfjs';
import { cifarBatches, concatMapBatch, sampleDataDir, splitFile, toRecordBatch, type BatchReadEvent } from '@atkd/data';
import { StudentTrainer } from '@atkd/student';
import { getStrategy, type LearnableTemperatureStrategy } from '@atkd/temperature';
import { RecordBatch } from 'apache-arrow';
import { Subject, concatMap, from, filter, lastValueFrom, map, take, tap, timer, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distill, type BatchStage, type DistillStep, type Held } from '../src/index.js';
import { poolDense } from './helpers.js';

const TRAIN = splitFile(sampleDataDir(), 'train');

let teacher: tf.LayersModel;
let student: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  teacher = poolDense(100, 1);
  student = poolDense(100, 2);
});

afterAll(() => {
  teacher.dispose();
  student.dispose();
});

const delay = (ms: number): BatchStage => (source) => source.pipe(concatMap((b) => timer(ms).pipe(map(() => b))));

function closed(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('distill: backpressure', () => {
  it('a slow asynchronous consumer holding each step keeps the source within its prefetch', async () => {
    const reads: BatchReadEvent[] = [];
    let consumed = 0;
    const ahead: number[] = [];
    const source = cifarBatches(TRAIN, { batchSize: 20, prefetch: 2, onBatchRead: (e) => { reads.push(e); ahead.push(e.step + 1 - consumed); } });
    const steps = await lastValueFrom(
      distill({ source, teacher, student }).pipe(
        concatMapBatch((m: Held<DistillStep>) => timer(30).pipe(map(() => { consumed += 1; return m; }))),
        toArray(),
      ),
    );
    expect(steps.map((m) => m.step)).toEqual([...Array(20).keys()]);
    expect(reads.length).toBe(20);
    expect(Math.max(...reads.map((e) => e.inFlight))).toBeLessThanOrEqual(2);
    // batches read minus batches the consumer has finished: never above the prefetch
    expect(Math.max(...ahead)).toBeLessThanOrEqual(2);
  });

  it('(control) without holding, a stalled consumer lets the source read everything', async () => {
    let consumed = 0;
    const ahead: number[] = [];
    let allRead!: () => void;
    const gate = new Promise<void>((r) => (allRead = r));
    const source = cifarBatches(TRAIN, { batchSize: 20, prefetch: 2, onBatchRead: (e) => { ahead.push(e.step + 1 - consumed); if (e.step === 19) allRead(); } });
    // the consumer finishes nothing until the source has read its last batch (which, with holds, would never happen)
    await lastValueFrom(distill({ source, teacher, student }).pipe(concatMap((m) => from(gate).pipe(map(() => { consumed += 1; return m; })))));
    expect(Math.max(...ahead)).toBe(20);
  });

  it('an asynchronous stage inside the pipeline cannot make the source read ahead either', async () => {
    let emitted = 0;
    const ahead: number[] = [];
    const inFlight: number[] = [];
    const source = cifarBatches(TRAIN, { batchSize: 25, prefetch: 3, onBatchRead: (e) => ahead.push(e.step + 1 - emitted) });
    const steps = await lastValueFrom(
      distill({ source, teacher, student, wrap: (name, stage) => (name === 'temperature' ? (s) => s.pipe(delay(4), stage) : stage) }).pipe(
        tap((m) => { emitted += 1; inFlight.push(m.inFlight); }),
        toArray(),
      ),
    );
    expect(steps.map((m) => m.step)).toEqual([...Array(16).keys()]);
    expect(Math.max(...ahead)).toBeLessThanOrEqual(3);
    expect(Math.max(...inFlight)).toBeLessThanOrEqual(3);
  });
});

describe('distill: data between stages', () => {
  it('crosses every stage boundary as an Arrow record batch with no tensor alive', async () => {
    const seen: Array<{ name: string; tensors: number; isBatch: boolean; columns: string[] }> = [];
    const trainer = new StudentTrainer(student);
    const steps = await lastValueFrom(
      distill({
        source: cifarBatches(TRAIN, { batchSize: 40 }),
        teacher,
        student: trainer,
        wrap: (name, stage) => (s) => s.pipe(stage, tap((b) => seen.push({ name, tensors: tf.memory().numTensors, isBatch: b instanceof RecordBatch, columns: b.schema.fields.map((f) => f.name) }))),
      }).pipe(toArray()),
    );
    expect(steps.length).toBe(10);
    expect(seen.every((s) => s.isBatch)).toBe(true);
    // after the first step created the optimizer buffers, the tensor count at every boundary is the same
    const later = seen.slice(3).map((s) => s.tensors);
    expect(new Set(later).size).toBe(1);
    expect(later[0]).toBe(tf.memory().numTensors);
    expect(seen.find((s) => s.name === 'soft-targets')!.columns).toEqual(['index', 'image', 'fine', 'coarse', 'teacher_logits', 'temperature', 'soft_targets']);
    trainer.dispose();
  });

  it('accepts a plain Observable of record batches (no holds) and numbers its steps', async () => {
    const batches = await lastValueFrom(cifarBatches(TRAIN, { batchSize: 100 }).pipe(map(toRecordBatch), toArray()));
    const subject = new Subject<RecordBatch>();
    const out: DistillStep[] = [];
    const done = lastValueFrom(distill({ source: subject, teacher, student, softTargets: false }).pipe(tap((m) => out.push(m))));
    for (const b of batches) subject.next(b);
    subject.complete();
    await done;
    expect(out.map((m) => m.step)).toEqual([0, 1, 2, 3]);
    expect(out.every((m) => m.size === 100 && Number.isFinite(m.loss.total))).toBe(true);
  });

  it('errors, naming the cause, when a stage drops or reorders batches', async () => {
    const dropping: BatchStage = (s) => s.pipe(filter((_b, i) => i !== 1));
    await expect(lastValueFrom(distill({ source: cifarBatches(TRAIN, { batchSize: 100 }), teacher, student, wrap: (n, st) => (n === 'teacher' ? (s) => s.pipe(dropping, st) : st) }))).rejects.toThrow(/in order/);
  });

  it('trains a learnable (ctkd) temperature through the pipeline', async () => {
    const ctkd = getStrategy('ctkd') as LearnableTemperatureStrategy;
    const t0 = ctkd.current();
    const steps = await lastValueFrom(distill({ source: cifarBatches(TRAIN, { batchSize: 50 }), teacher, student, strategy: ctkd }).pipe(toArray()));
    expect(steps.every((m) => m.learn !== undefined)).toBe(true);
    expect(ctkd.current()).not.toBe(t0);
    // the temperature of step k+1 is the one learned at step k
    expect(steps[1].temperature.mean).toBeCloseTo(steps[0].learn!.nextTemperature, 4);
    // a caller-owned trainer must share the learnable instance
    const blind = new StudentTrainer(student);
    await expect(lastValueFrom(distill({ source: cifarBatches(TRAIN, { batchSize: 50 }), teacher, student: blind, strategy: ctkd }))).rejects.toThrow(/learnable/);
    blind.dispose();
  });
});

describe('distill: cancellation', () => {
  it('unsubscribing stops reading, closes the source and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const reads: number[] = [];
    const close = closed();
    const source = cifarBatches(TRAIN, { batchSize: 10, epochs: 100, prefetch: 2, onBatchRead: (e) => reads.push(e.step), onClose: close.resolve });
    const steps = await lastValueFrom(distill({ source, teacher, student }).pipe(take(3), toArray()));
    await close.promise;
    expect(steps.length).toBe(3);
    const readCount = reads.length;
    expect(readCount).toBeLessThanOrEqual(3 + 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(reads.length).toBe(readCount);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('also in the middle of an asynchronous stage, with batches held inside it', async () => {
    const before = tf.memory().numTensors;
    const close = closed();
    const source = cifarBatches(TRAIN, { batchSize: 10, epochs: 100, prefetch: 4, onClose: close.resolve });
    let n = 0;
    let firstStep!: () => void;
    const started = new Promise<void>((r) => (firstStep = r));
    const sub = distill({ source, teacher, student, wrap: (name, st) => (name === 'soft-targets' ? (s) => s.pipe(delay(3), st) : st) }).subscribe(() => {
      n += 1;
      firstStep();
    });
    // event-driven (was: 150 ms of wall clock, which a loaded machine can spend before the first step):
    // once a step is out, the next batches are in flight, held inside the delayed stage
    await started;
    sub.unsubscribe();
    await close.promise;
    expect(n).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
