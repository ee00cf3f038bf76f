import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnError, TEACHER_LOGITS, readLogits, withoutColumn } from '@atkd/columns';
import { cifarBatches, sampleDataDir, splitFile, toNormalizedNHWC, toRecordBatch } from '@atkd/data';
import { loadAnyModel, saveModel } from '@atkd/models';
import { firstValueFrom, lastValueFrom, map, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBatches, tinyTeacher } from './helpers.js';
import { LogitsCache, LogitsCacheError, withTeacherLogits, modelFingerprint, predictLogits, addTeacherLogits, writeLogitsCache } from '../src/index.js';

const TRAIN = splitFile(sampleDataDir(), 'train');
const TEST = splitFile(sampleDataDir(), 'test');

let dir: string;
let teacher: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'atkd-teacher-'));
  teacher = tinyTeacher(1);
});

afterAll(async () => {
  teacher.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('predictLogits', () => {
  it('equals model.predict in inference mode, for any chunk size, leaving no tensor', async () => {
    const [batch] = await sampleBatches(TRAIN, 10, 1);
    const images = batch.getChild('image')!.data[0].values as Uint8Array;
    const expected = tf.tidy(() => (teacher.predict(tf.tensor4d(toNormalizedNHWC(images), [10, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
    const before = tf.memory().numTensors;
    const whole = predictLogits(teacher, images);
    const chunked = predictLogits(teacher, images, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(whole.length).toBe(1000);
    for (let i = 0; i < whole.length; i++) {
      expect(whole[i]).toBeCloseTo(expected[i], 5);
      expect(chunked[i]).toBeCloseTo(expected[i], 5);
    }
    // eval mode really uses the running statistics (training-mode BN gives other logits; on a copy,
    // since a training-mode call updates the running statistics)
    const copy = tinyTeacher(1);
    const training = tf.tidy(() => (copy.apply(tf.tensor4d(toNormalizedNHWC(images), [10, 32, 32, 3]), { training: true }) as tf.Tensor).dataSync() as Float32Array);
    copy.dispose();
    expect(Math.max(...whole.map((v, i) => Math.abs(v - training[i])))).toBeGreaterThan(1e-3);
  });

  it('rejects models that do not take CIFAR images or give one logits output', () => {
    const bad = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 3 })] });
    expect(() => predictLogits(bad, new Uint8Array(3072))).toThrow(/input of shape \[batch, 32, 32, 3\]/);
    bad.dispose();
    expect(() => predictLogits(teacher, new Uint8Array(100))).toThrow(/multiple of 3072/);
    expect(() => predictLogits(teacher, new Uint8Array(3072), { batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('teacherLogits operator', () => {
  it('adds teacher_logits to every batch, passes every other column through, and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const out = await lastValueFrom(cifarBatches(TRAIN, { batchSize: 64 }).pipe(map(toRecordBatch), addTeacherLogits(teacher), toArray()));
    expect(tf.memory().numTensors).toBe(before);
    expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(400);
    const b = out[1];
    expect(b.schema.fields.map((f) => f.name)).toEqual(['index', 'image', 'fine', 'coarse', TEACHER_LOGITS]);
    expect(b.schema.metadata.get('split')).toBe('train');
    const logits = readLogits(b, TEACHER_LOGITS, 100);
    expect(logits.rows).toBe(64);
    const direct = predictLogits(teacher, b.getChild('image')!.data[0].values as Uint8Array);
    expect(Array.from(logits.values)).toEqual(Array.from(direct));
  });

  it('names the missing image column', async () => {
    const [batch] = await sampleBatches(TRAIN, 4, 1);
    expect(() => withTeacherLogits(teacher, withoutColumn(batch, 'image'))).toThrow(ColumnError);
    expect(() => withTeacherLogits(teacher, withoutColumn(batch, 'image'))).toThrow(/"image" is missing/);
  });
});

describe('loading a teacher (loadAnyModel of @atkd/models)', () => {
  it('loads a TF.js layers directory with the same logits and fingerprint', async () => {
    const modelDir = join(dir, 'teacher-model');
    await saveModel(teacher, modelDir);
    const loaded = await loadAnyModel(modelDir);
    const [batch] = await sampleBatches(TEST, 8, 1);
    const images = batch.getChild('image')!.data[0].values as Uint8Array;
    expect(Array.from(predictLogits(loaded, images))).toEqual(Array.from(predictLogits(teacher, images)));
    expect(modelFingerprint(loaded)).toBe(modelFingerprint(teacher));
    const other = tinyTeacher(5);
    expect(modelFingerprint(other)).not.toBe(modelFingerprint(teacher));
    other.dispose();
    loaded.dispose();
    await expect(loadAnyModel(join(dir, 'nope'))).rejects.toThrow(/nope/);
    await expect(loadAnyModel(dir)).rejects.toThrow(/no model.json/);
  });

  it('loads a PyTorch checkpoint (with arch) whose logits match PyTorch (fixture of @atkd/models)', async () => {
    const fixtures = new URL('../../models/test/fixtures/parity/', import.meta.url);
    const m = await loadAnyModel(new URL('resnet8.pth', fixtures).pathname, { arch: 'resnet8', classes: 10 });
    const input = new Float32Array((await readFile(new URL('input.bin', fixtures))).buffer.slice(0));
    const want = new Float32Array((await readFile(new URL('resnet8.logits.bin', fixtures))).buffer.slice(0));
    // the fixture input is already normalised NHWC: feed it through the normalize hook
    const got = predictLogits(m, new Uint8Array(2 * 3072), { normalize: () => input.subarray(0, 2 * 3072) });
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    m.dispose();
    await expect(loadAnyModel(new URL('resnet8.pth', fixtures).pathname)).rejects.toThrow(/needs its architecture \(arch: one of resnet8,/);
  });

  it('builds a zoo model by name', async () => {
    const m = await loadAnyModel('resnet8', { classes: 10 });
    expect(m.outputs[0].shape).toEqual([null, 10]);
    m.dispose();
  });
});

describe('logits cache', () => {
  it('writes the logits of a non-augmented pass atomically and streams them back by index', async () => {
    const file = join(dir, 'test-logits.arrow');
    const progress: number[] = [];
    const rows = await writeLogitsCache(file, teacher, TEST, { readBatchSize: 64, onProgress: (p) => progress.push(p.done) });
    expect(rows).toBe(200);
    expect(progress.at(-1)).toBe(200);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const cache = await LogitsCache.open(file);
    expect(cache.rows).toBe(200);
    expect(cache.classes).toBe(100);
    cache.verify({ model: teacher, split: 'test' });

    // shuffled batches: the cache answers by index, equal to running the teacher
    const before = tf.memory().numTensors;
    const viaCache = await lastValueFrom(cifarBatches(TEST, { batchSize: 32, shuffle: true, seed: 3 }).pipe(map(toRecordBatch), addTeacherLogits(teacher, { cache }), toArray()));
    const computed = await lastValueFrom(cifarBatches(TEST, { batchSize: 32, shuffle: true, seed: 3 }).pipe(map(toRecordBatch), addTeacherLogits(teacher), toArray()));
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < viaCache.length; i++) {
      const a = readLogits(viaCache[i], TEACHER_LOGITS).values;
      const b = readLogits(computed[i], TEACHER_LOGITS).values;
      for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 5);
    }
    // model-free use
    const first = await firstValueFrom(cifarBatches(TEST, { batchSize: 4 }).pipe(map(toRecordBatch), addTeacherLogits(null, { cache })));
    expect(readLogits(first, TEACHER_LOGITS).rows).toBe(4);
  });

  it('refuses a cache of another teacher or other data, naming the mismatch', async () => {
    const file = join(dir, 'test-logits-2.arrow');
    await writeLogitsCache(file, teacher, TEST);
    const cache = await LogitsCache.open(file);
    const other = tinyTeacher(9);
    const src = () => cifarBatches(TRAIN, { batchSize: 8 }).pipe(map(toRecordBatch));
    await expect(lastValueFrom(src().pipe(addTeacherLogits(other, { cache })))).rejects.toThrow(/another teacher/);
    await expect(lastValueFrom(src().pipe(addTeacherLogits(teacher, { cache })))).rejects.toThrow(LogitsCacheError);
    await expect(lastValueFrom(src().pipe(addTeacherLogits(teacher, { cache })))).rejects.toThrow(/split|other data/);
    expect(() => cache.lookup([0, 123456])).toThrow(/image 123456/);
    other.dispose();
    await expect(LogitsCache.open(TEST)).rejects.toThrow(/format|atkd teacher-logits cache/);
  });
});
