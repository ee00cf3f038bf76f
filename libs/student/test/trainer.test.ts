import * as tf from '@tensorflow/tfjs';
import { STUDENT_TEMPERATURE, TEMPERATURE, readFloat32, withPosition, withBatchMetrics, withFloat32Column, withoutColumn } from '@atkd/columns';
import { withTemperature, getStrategy, addTemperature, type LearnableTemperatureStrategy } from '@atkd/temperature';
import { maxLogitTemperature } from '@atkd/math';
import { from, lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cifarBatches, sampleDataDir, toNormalizedNHWC } from '@atkd/data';
import { StudentTrainer, evaluate, evaluateBatch, evaluateFile, updateStudent, topKCorrect, type StepMetrics } from '../src/index.js';
import { distillBatch, imageBatch, normals, tinyModel } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const C = 10;

describe('StudentTrainer', () => {
  it('drives the KD loss down, rho up and the accuracy from chance to most rows on a fixed batch', () => {
    const model = tinyModel(C, 3);
    const trainer = new StudentTrainer(model, { lr: 0.1 });
    // a teacher that knows the labels (5 on the true class, noise elsewhere): CE and KD both lead to them
    const labels = imageBatch(16, C, 5).getChild('fine')!.toArray() as Uint8Array;
    const teacher = normals(16 * C, 12, 0.5);
    labels.forEach((y, i) => (teacher[i * C + y] += 5));
    const batch = distillBatch({ rows: 16, classes: C, seed: 5, teacher });
    const first = trainer.step(batch);
    let last = first;
    for (let i = 0; i < 60; i++) last = trainer.step(batch);
    expect(last.loss.kd).toBeLessThan(first.loss.kd * 0.7);
    expect(last.rho).toBeGreaterThan(first.rho + 0.1);
    expect(first.size).toBe(16);
    expect(first.loss.total).toBeCloseTo(0.1 * first.loss.ce + 9 * first.loss.kd, 4);
    expect(first.temperature.min).toBeLessThanOrEqual(first.temperature.mean);
    expect(first.temperature.mean).toBeLessThanOrEqual(first.temperature.max);
    expect(first.imgPerSec).toBeGreaterThan(0);
    expect(first.accuracy).toBeLessThanOrEqual(0.375); // 16 random images, 10 classes: about 1.6 right by chance
    expect(last.accuracy).toBeGreaterThanOrEqual(0.75);
    trainer.dispose();
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over 1,000 steps', () => {
    const model = tinyModel(C, 4);
    const trainer = new StudentTrainer(model, { lr: 0.01 });
    const batches = [distillBatch({ rows: 4, classes: C, seed: 1 }), distillBatch({ rows: 4, classes: C, seed: 2, strategy: 'static', softTargets: false }), distillBatch({ rows: 4, classes: C, seed: 3, strategy: 'adaptive-paired' })];
    trainer.step(batches[0]); // creates the momentum buffers
    const before = tf.memory().numTensors;
    let loss = 0;
    for (let i = 0; i < 1000; i++) loss = trainer.step(batches[i % 3]).loss.total;
    expect(Number.isFinite(loss)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(trainer.stepCount).toBe(1001);
    const buffers = trainer.optimizer.size;
    expect(buffers).toBe(model.trainableWeights.length);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before - buffers);
    model.dispose();
  });

  it('decays the learning rate at the milestone epochs given by the batch metadata', () => {
    const model = tinyModel(C, 5);
    const trainer = new StudentTrainer(model, { lr: 0.05, milestones: [2, 3] });
    const base = distillBatch({ rows: 4, classes: C, seed: 9 });
    const lrs = [0, 1, 2, 3, 4].map((epoch) => trainer.step(withPosition(base, { epoch, step: epoch * 10 })));
    expect(lrs.map((m) => m.lr)).toEqual([0.05, 0.05, expect.closeTo(0.005, 12), expect.closeTo(0.0005, 12), expect.closeTo(0.0005, 12)]);
    expect(lrs.map((m) => m.step)).toEqual([0, 10, 20, 30, 40]);
    trainer.dispose();
    model.dispose();
  });

  it("finishes a pending temperature of 'adaptive' (paired, the default) with the student logits: T >= teacher-only T", () => {
    const model = tinyModel(C, 6);
    const trainer = new StudentTrainer(model);
    const batch = distillBatch({ rows: 8, classes: C, seed: 12, strategy: 'adaptive' });
    const teacherOnly = maxLogitTemperature(distillTeacher(batch), C);
    const m = trainer.step(batch);
    expect(m.temperature.min).toBeGreaterThanOrEqual(Math.min(...teacherOnly) - 1e-5);
    expect(m.temperature.max).toBeGreaterThanOrEqual(Math.max(...teacherOnly) - 1e-5);
    let seen: Float32Array | undefined;
    const three = new Float32Array(8).fill(3);
    const spy = new StudentTrainer(model, { finishTemperature: (_c, s) => { seen = s; return { teacher: three, student: three, lossScale: new Float32Array(8).fill(9) }; } });
    const m2 = spy.step(batch);
    expect(seen?.length).toBe(8 * C);
    expect(m2.temperature).toEqual({ min: 3, mean: 3, max: 3 });
    spy.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('uses a student_temperature column with the KL weighted by T_teacher * T_student (dtkd)', () => {
    const model = tinyModel(C, 6);
    const base = distillBatch({ rows: 8, classes: C, seed: 13, softTargets: false });
    const trainer = new StudentTrainer(model, { lr: 0 });
    const same = trainer.step(withFloat32Column(base, STUDENT_TEMPERATURE, readT(base)));
    const plain = trainer.step(base);
    expect(same.loss.kd).toBeCloseTo(plain.loss.kd, 5); // T_s = T: ordinary KD
    const doubled = Float32Array.from(readT(base), (t) => 2 * t);
    const dtkd = trainer.step(withFloat32Column(base, STUDENT_TEMPERATURE, doubled));
    expect(Math.abs(dtkd.loss.kd - plain.loss.kd)).toBeGreaterThan(1e-3);
    trainer.dispose();
    model.dispose();
  });

  it('updates a learnable (ctkd) temperature after each step and refuses one it cannot update', () => {
    const model = tinyModel(C, 6);
    const ctkd = getStrategy('ctkd');
    const stage = addTemperature(ctkd);
    const trainer = new StudentTrainer(model, { strategy: ctkd });
    const t0 = (ctkd as LearnableTemperatureStrategy).current();
    const batch = distillBatch({ rows: 8, classes: C, seed: 14, softTargets: false });
    let m: StepMetrics | undefined;
    from([batch, batch, batch]).pipe(stage, updateStudent(trainer)).subscribe((x) => (m = x));
    expect(m?.learn).toBeDefined();
    expect(m!.learn!.temperature).not.toBe(t0);
    expect((ctkd as LearnableTemperatureStrategy).current()).toBe(m!.learn!.nextTemperature);
    expect(m!.temperature.mean).toBeCloseTo(m!.learn!.temperature, 5);
    const blind = new StudentTrainer(model);
    expect(() => blind.step(withTemperature(batch, getStrategy('ctkd')))).toThrow(/learnable/);
    blind.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('passes stage metrics through and names a missing column', () => {
    const model = tinyModel(C, 7);
    const trainer = new StudentTrainer(model);
    const batch = withBatchMetrics(distillBatch({ rows: 4, classes: C, seed: 2 }), { 'soft_targets.outside_radius': 0 });
    expect(trainer.step(batch).stages).toEqual({ 'soft_targets.outside_radius': 0 });
    const before = tf.memory().numTensors;
    expect(() => trainer.step(withoutColumn(batch, TEMPERATURE))).toThrow(/"temperature"/);
    expect(() => trainer.step(imageBatch(4, C, 1))).toThrow(/"teacher_logits"/);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('rejects a student whose class count differs from the teacher logits, freeing its tensors', () => {
    const model = tinyModel(C + 1, 7);
    const trainer = new StudentTrainer(model);
    trainer.step(distillBatch({ rows: 4, classes: C + 1, seed: 2 }));
    const before = tf.memory().numTensors;
    expect(() => trainer.step(distillBatch({ rows: 4, classes: C, seed: 2 }))).toThrow(/classes/);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });
});

describe('StudentTrainer, mode ce (atkd train)', () => {
  it('trains on image and fine alone: the first loss is the mean cross-entropy before the update, and it falls', () => {
    const model = tinyModel(C, 11);
    const trainer = new StudentTrainer(model, { lr: 0.1, mode: 'ce' });
    const batch = imageBatch(16, C, 21); // no teacher_logits, no temperature
    const labels = batch.getChild('fine')!.data[0].values as Uint8Array;
    const images = batch.getChild('image')!.data[0].values as Uint8Array;
    const expected = tf.tidy(() => {
      const x = tf.tensor4d(toNormalizedNHWC(images), [16, 32, 32, 3]);
      const out = model.apply(x, { training: true }) as tf.Tensor2D;
      return tf.mean(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(labels, 'int32'), C), tf.logSoftmax(out)), 1))).dataSync()[0];
    });
    const first = trainer.step(batch);
    expect(first.loss.ce).toBeCloseTo(expected, 5);
    expect(first.loss.total).toBe(first.loss.ce);
    expect('temperature' in first).toBe(false);
    let last = first;
    for (let i = 0; i < 40; i++) last = trainer.step(batch);
    expect(last.loss.ce).toBeLessThan(first.loss.ce * 0.5);
    expect(last.accuracy).toBeGreaterThan(first.accuracy);
    expect(trainer.stepCount).toBe(41);
    trainer.dispose();
    model.dispose();
  });
});

describe('StepMetrics.temperatures', () => {
  it('are the final per-row temperatures the step used: the column when final, the finished ones when pending', () => {
    const model = tinyModel(C, 12);
    const trainer = new StudentTrainer(model, { lr: 0.01, strategy: getStrategy('adaptive-paired', {}) });
    const final = distillBatch({ rows: 6, classes: C, seed: 31 });
    expect(Array.from(trainer.step(final).temperatures)).toEqual(Array.from(readT(final)));
    const pending = distillBatch({ rows: 6, classes: C, seed: 32, strategy: 'adaptive-paired' });
    const m = trainer.step(pending);
    expect(m.temperatures).toHaveLength(6);
    // paired: at least the teacher-only temperature of each row (the max also runs over the student)
    const teacherOnly = maxLogitTemperature(distillTeacher(pending), C);
    m.temperatures.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(teacherOnly[i] - 1e-5));
    expect(Math.min(...m.temperatures)).toBeCloseTo(m.temperature.min, 5);
    trainer.dispose();
    model.dispose();
  });
});

describe('updateStudent operator', () => {
  it('emits one metrics object per batch and frees its optimizer state when done', async () => {
    const model = tinyModel(C, 8);
    const before = tf.memory().numTensors;
    const batches = [1, 2, 3].map((seed) => distillBatch({ rows: 4, classes: C, seed }));
    const out = await lastValueFrom(from(batches).pipe(updateStudent(model, { lr: 0.01 }), toArray()));
    expect(out.map((m) => m.step)).toEqual([0, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);
    // a caller-owned trainer keeps its state across streams
    const trainer = new StudentTrainer(model);
    await lastValueFrom(from(batches).pipe(updateStudent(trainer)));
    expect(trainer.stepCount).toBe(3);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('evaluation', () => {
  it('topKCorrect counts labels among the k best', () => {
    const logits = [0.1, 0.5, 0.2, 0.9, 3, 2, 1, 0];
    expect(topKCorrect(logits, [3, 2], 4, 1)).toBe(1);
    expect(topKCorrect(logits, [0, 1], 4, 1)).toBe(0);
    expect(topKCorrect(logits, [3, 0], 4, 1)).toBe(2);
    expect(topKCorrect(logits, [0, 2], 4, 2)).toBe(0);
    expect(topKCorrect(logits, [1, 1], 4, 2)).toBe(2);
    expect(() => topKCorrect(logits, [0], 4, 1)).toThrow(/expected/);
  });

  it('evaluate() sums batches in inference mode without leaking tensors', async () => {
    const model = tinyModel(C, 9);
    const batches = [imageBatch(6, C, 1), imageBatch(5, C, 2)];
    const before = tf.memory().numTensors;
    const direct = batches.map((b) => evaluateBatch(model, b));
    const result = await lastValueFrom(from(batches).pipe(evaluate(model)));
    expect(tf.memory().numTensors).toBe(before);
    expect(result.count).toBe(11);
    expect(result.top1).toBeCloseTo((direct[0].top1 + direct[1].top1) / 11, 12);
    expect(result.top5).toBeGreaterThanOrEqual(result.top1);
    expect(result.loss).toBeGreaterThan(0);
    // typed-array batches (as @atkd/data's cifarBatches emits them) give the same counts
    const plain = batches.map((b) => ({ images: b.getChild('image')!.data[0].values as Uint8Array, fine: b.getChild('fine')!.data[0].values as Uint8Array, size: b.numRows }));
    expect(await lastValueFrom(from(plain).pipe(evaluate(model)))).toEqual(result);
    // inference mode: evaluating twice gives the same answer (no BN statistics update)
    const again = await lastValueFrom(from(batches).pipe(evaluate(model)));
    expect(again).toEqual(result);
    model.dispose();
  });

  it('evaluateFile reads an Arrow file in order: the same counts as evaluate() over cifarBatches; maxRows; abort gives null', async () => {
    const model = tinyModel(100, 13);
    const file = join(sampleDataDir(), 'test.arrow');
    const ref = await lastValueFrom(cifarBatches(file, { batchSize: 50 }).pipe(evaluate(model)));
    const seen: number[] = [];
    const got = await evaluateFile(model, file, { batchSize: 64, onBatch: (done, total) => seen.push(done, total) });
    expect(got).not.toBeNull();
    expect(got!.count).toBe(ref.count);
    expect(got!.top1).toBeCloseTo(ref.top1, 12);
    expect(got!.top5).toBeCloseTo(ref.top5, 12);
    expect(got!.loss).toBeCloseTo(ref.loss, 4);
    const total = Math.ceil(ref.count / 64);
    expect(seen.slice(-2)).toEqual([total, total]);
    expect((await evaluateFile(model, file, { batchSize: 64, maxRows: 70 }))!.count).toBe(70);
    const stop = new AbortController();
    expect(await evaluateFile(model, file, { batchSize: 16, onBatch: (done) => done === 2 && stop.abort(), signal: stop.signal })).toBeNull();
    model.dispose();
  });
});

describe('evaluation that a tie or a NaN cannot inflate', () => {
  /** `tinyModel` with its weights set to `value` everywhere: every logit of every row is the same number. */
  function constantModel(value: number): tf.LayersModel {
    const model = tinyModel(C, 11);
    const weights = model.getWeights().map((w) => tf.fill(w.shape, value));
    model.setWeights(weights);
    tf.dispose(weights);
    return model;
  }
  it('a model whose logits are all equal scores 0 % top-1 and top-5 (was 100 %)', async () => {
    const model = constantModel(0);
    const batch = imageBatch(8, C, 4);
    const before = tf.memory().numTensors;
    const r = await lastValueFrom(from([batch]).pipe(evaluate(model)));
    expect(tf.memory().numTensors).toBe(before);
    expect(r.top1).toBe(0);
    expect(r.top5).toBe(0);
    model.dispose();
  });
  it('NaN logits are an error naming the batch and the row', async () => {
    const model = constantModel(Number.NaN);
    const before = tf.memory().numTensors;
    await expect(lastValueFrom(from([imageBatch(3, C, 5), imageBatch(3, C, 6)]).pipe(evaluate(model)))).rejects.toThrow(/batch 0: model logits\[row 0, column 0\] is NaN/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
  it('a label outside 0..classes-1 is refused, naming the row', () => {
    const model = tinyModel(C, 12);
    const b = imageBatch(4, C, 7);
    const images = b.getChild('image')!.data[0].values as Uint8Array;
    const fine = Uint8Array.from([1, 2, C + 3, 0]);
    expect(() => evaluateBatch(model, { images, fine, size: 4 }, undefined, 'test batch 2')).toThrow(/test batch 2: label of row 2 is 13/);
    model.dispose();
  });
});

function readT(batch: import('apache-arrow').RecordBatch): Float32Array {
  return Float32Array.from(readFloat32(batch, TEMPERATURE));
}

function distillTeacher(batch: import('apache-arrow').RecordBatch): Float32Array {
  const v = batch.getChild('teacher_logits')!.data[0].children[0].values as Float32Array;
  return v.subarray(0, batch.numRows * C);
}
