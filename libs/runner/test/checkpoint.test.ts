// Checkpoints: the round trip of weights, momentum buffers and state, the swap fallback, the seeded student.
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { createModel } from '@atkd/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyWeights, findCheckpoint, initialState, readCheckpoint, seededModel, writeCheckpoint } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-runner-ck-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ log: false });
});

describe('checkpoints', () => {
  it('a checkpoint round-trips weights, momentum buffers and state; the swap leaves a fallback; no tensor leaks', async () => {
    const before = tf.memory().numTensors;
    const model = seededModel('resnet8', 3);
    const buffers = model.trainableWeights.map((w, i) => (i % 3 === 0 ? undefined : tf.randomNormal(w.shape as number[], 0, 1, 'float32', i + 1)));
    const state = { ...initialState({ student: 'resnet8', seed: 3 }), next: { epoch: 1, index: 2 }, step: 9, strategyState: { theta: 0.5 }, trainSeconds: 1, trainImages: 64 };
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
    expect(findCheckpoint(work, 'best')).toBeNull();
    for (const m of [model, other, wrong, ck.model]) m.dispose();
    for (const b of buffers) b?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flipped bytes in a checkpoint are an error naming the file (were: resumed from silently)', async () => {
    const before = tf.memory().numTensors;
    const model = seededModel('resnet8', 5);
    const buffers = model.trainableWeights.map((w, i) => tf.randomNormal(w.shape as number[], 0, 1, 'float32', i + 7));
    const dir = await writeCheckpoint(join(work, 'flip'), 'latest', { model, buffers, state: initialState({ student: 'resnet8', seed: 5 }) });
    expect(readdirSync(join(work, 'flip', 'checkpoints'))).toEqual(['latest']); // no temp left
    const flip = (file: string) => {
      const b = readFileSync(join(dir, file));
      b[b.length >> 1] ^= 4;
      writeFileSync(join(dir, file), b);
    };
    flip('optimizer.bin');
    await expect(readCheckpoint(dir)).rejects.toThrow(/flip[/\\]checkpoints[/\\]latest: optimizer\.bin is corrupted: its CRC-32 is [0-9a-f]{8}, state\.json recorded [0-9a-f]{8}/);
    flip('optimizer.bin');
    flip('weights.bin');
    await expect(readCheckpoint(dir)).rejects.toThrow(/the weights are corrupted/);
    model.dispose();
    for (const b of buffers) b.dispose();
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
});
