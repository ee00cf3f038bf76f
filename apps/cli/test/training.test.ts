// In-process checks of the run directory and the training loop: checkpoint round trip, the swap
// fallback, the resumable batch source against @atkd/data's cifarBatches, and no tensor left behind.
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { CifarArrowFile, cifarBatches, sampleDataDir } from '@atkd/data';
import { createModel, saveModel } from '@atkd/models';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatch, epochOrder, batchesPerEpoch } from '../src/lib/batches.js';
import { resolveConfig } from '../src/lib/config.js';
import { copyWeights, findCheckpoint, readCheckpoint, writeCheckpoint } from '../src/lib/run-dir.js';
import { runTraining, seededModel } from '../src/lib/training.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-training-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sample = sampleDataDir();
const quietOut = { quiet: true, info: () => undefined, stderr: process.stderr };

beforeAll(async () => {
  await initBackend({ log: false });
});

describe('run directory', () => {
  it('a checkpoint round-trips weights, momentum buffers and state; the swap leaves a fallback; no tensor leaks', async () => {
    const before = tf.memory().numTensors;
    const model = seededModel('resnet8', 3);
    const buffers = model.trainableWeights.map((w, i) => (i % 3 === 0 ? undefined : tf.randomNormal(w.shape as number[], 0, 1, 'float32', i + 1)));
    const state = { student: 'resnet8', next: { epoch: 1, index: 2 }, step: 9, rng: { seed: 3, algorithm: 'x' }, best: null, epochAcc: null, strategyState: { theta: 0.5 }, teacherEval: null, trainSeconds: 1, trainImages: 64 };
    const dir = await writeCheckpoint(work, 'latest', { model, buffers, state, epochTemperatures: Float32Array.from([1, 2, 3]) });
    const ck = await readCheckpoint(dir);
    expect(ck.state).toMatchObject({ format: 'atkd-checkpoint/1', ...state });
    expect(Array.from(ck.epochTemperatures ?? [])).toEqual([1, 2, 3]);
    buffers.forEach((b, i) => {
      if (b === undefined) expect(ck.buffers[i]).toBeNull();
      else expect(Array.from(ck.buffers[i] as Float32Array)).toEqual(Array.from(b.dataSync()));
    });
    const other = seededModel('resnet8', 4);
    copyWeights(ck.model, other, 'test');
    model.weights.forEach((w, i) => expect(Array.from(other.weights[i].read().dataSync())).toEqual(Array.from(w.read().dataSync())));
    const wrong = createModel('resnet14');
    expect(() => copyWeights(ck.model, wrong, 'checkpoint X')).toThrow(/checkpoint X has \d+ weight tensors, the model has \d+: the checkpoint does not match/);
    // a swap cut short (latest moved aside, the new one not yet renamed in) still finds the previous checkpoint
    renameSync(dir, join(work, 'checkpoints', '.latest.old-1'));
    expect(findCheckpoint(work, 'latest')).toBe(join(work, 'checkpoints', '.latest.old-1'));
    for (const m of [model, other, wrong, ck.model]) m.dispose();
    for (const b of buffers) b?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('seededModel: the same seed gives the same initial weights, another seed others', () => {
    const a = seededModel('resnet8', 1);
    const b = seededModel('resnet8', 1);
    const c = seededModel('resnet8', 2);
    const w = (m: tf.LayersModel) => m.getWeights()[0].dataSync();
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
    for (const m of [a, b, c]) m.dispose();
  });

  it('the resumable batch source yields exactly the batches of cifarBatches (order, augmentation, labels)', async () => {
    const file = join(sample, 'train.arrow');
    const opts = { batchSize: 48, shuffle: true, augment: true, seed: 11 };
    const ref = await firstValueFrom(cifarBatches(file, { ...opts, epochs: 2 }).pipe(toArray()));
    const f = await CifarArrowFile.open(file);
    try {
      const per = batchesPerEpoch(f.numRows, opts);
      expect(ref).toHaveLength(2 * per);
      for (const r of ref) {
        const mine = readBatch(f, opts, r.epoch, r.index, r.step, epochOrder(f, opts, r.epoch));
        expect(mine.size).toBe(r.size);
        expect(Buffer.from(mine.images).equals(Buffer.from(r.images))).toBe(true);
        expect(Array.from(mine.fine)).toEqual(Array.from(r.fine));
        expect(Array.from(mine.indices)).toEqual(Array.from(r.indices));
      }
    } finally {
      await f.close();
    }
  });
});

describe('training loop', () => {
  it('train and distill runs leave no tensor behind', async () => {
    const teacherDir = join(work, 'teacher');
    mkdirSync(teacherDir);
    const t = createModel('resnet8');
    await saveModel(t, teacherDir);
    t.dispose();
    const defaults = { teacher: teacherDir, teacherModel: null, train: join(sample, 'train.arrow'), test: join(sample, 'test.arrow') };
    const flags = { epochs: '2', batchSize: '8', stepsPerEpoch: '2', testLimit: '16', evalBatchSize: '16' };
    const before = tf.memory().numTensors;
    const train = await runTraining({ config: resolveConfig({ command: 'train', flags, defaults }), runDir: join(work, 'run-train'), resume: false, out: quietOut, resumeCommand: '' });
    expect(train.status).toBe('completed');
    expect(tf.memory().numTensors).toBe(before);
    for (const method of ['atkd-paired', 'ctkd']) {
      const s = await runTraining({ config: resolveConfig({ command: 'distill', flags: { ...flags, method }, defaults }), runDir: join(work, `run-${method}`), resume: false, out: quietOut, resumeCommand: '' });
      expect(s).toMatchObject({ status: 'completed', steps: 4 });
      expect(tf.memory().numTensors, method).toBe(before);
    }
  });
});
