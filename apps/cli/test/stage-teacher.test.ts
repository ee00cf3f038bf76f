import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEACHER_LOGITS, readLogits } from '@atkd/columns';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { saveModel } from '@atkd/models';
import { lastValueFrom, map, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictLogits, writeLogitsCache } from '@atkd/teacher';
import { UsageError } from '../src/args.js';
import { teacherStage } from '../src/stages/teacher.js';

const TEST = splitFile(sampleDataDir(), 'test');
let dir: string;
let model: tf.LayersModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
  dir = await mkdtemp(join(tmpdir(), 'atkd-teacher-stage-'));
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.averagePooling2d({ poolSize: 8, strides: 8 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 100, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(x) as tf.SymbolicTensor });
  await saveModel(model, join(dir, 'm'));
});

afterAll(async () => {
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const args = (flags: Record<string, string>) => ({ flags: new Map(Object.entries(flags)), positionals: [] as string[] });

describe('atkd stage teacher (stage definition)', () => {
  it('builds the operator from --teacher DIR and declares the output schema', async () => {
    const run = await teacherStage.create(args({ teacher: join(dir, 'm'), 'batch-size': '16' }), 'atkd stage teacher');
    // the stage picks the best backend (wasm here); compare against the same model on that backend
    const batches = await lastValueFrom(cifarBatches(TEST, { batchSize: 50 }).pipe(map(toRecordBatch), run.operator, toArray()));
    expect(batches.length).toBe(4);
    const images = batches[0].getChild('image')!.data[0].values as Uint8Array;
    const got = readLogits(batches[0], TEACHER_LOGITS, 100).values;
    const want = predictLogits(model, images);
    for (let i = 0; i < want.length; i += 97) expect(got[i]).toBeCloseTo(want[i], 4);
    const schema = run.emptySchema!(batches[0].schema);
    expect(schema.fields.map((f) => f.name)).toEqual(['index', 'image', 'fine', 'coarse', TEACHER_LOGITS]);
    void run.close?.();
  });

  it('streams from --cache without a model, and names bad flags', async () => {
    const cacheFile = join(dir, 'c.arrow');
    await writeLogitsCache(cacheFile, model, TEST);
    const run = await teacherStage.create(args({ cache: cacheFile }), 'atkd stage teacher');
    const [b] = await lastValueFrom(cifarBatches(TEST, { batchSize: 10 }).pipe(map(toRecordBatch), run.operator, toArray()));
    expect(readLogits(b, TEACHER_LOGITS, 100).rows).toBe(10);
    void run.close?.();
    await expect(teacherStage.create(args({}), 'atkd stage teacher')).rejects.toThrow(/--teacher is required/);
    // a bad flag value is a usage error (exit 2), as for every other stage
    await expect(teacherStage.create(args({ teacher: join(dir, 'm'), 'batch-size': '0' }), 'atkd stage teacher')).rejects.toThrow(UsageError);
    await expect(teacherStage.create(args({ teacher: join(dir, 'm'), 'batch-size': '0' }), 'atkd stage teacher')).rejects.toThrow(/flag --batch-size must be an integer in \[1, inf\], got "0"/);
    await expect(teacherStage.create(args({ teacher: join(dir, 'm'), arch: 'resnet9' }), 'atkd stage teacher')).rejects.toThrow(/flag --arch: unknown model "resnet9"/);
    await expect(teacherStage.create(args({ teacher: join(dir, 'missing') }), 'atkd stage teacher')).rejects.toThrow(/missing/);
  });
});
