// In-process check of `atkd train` / `atkd distill` around the runner (@atkd/runner has the loop's own
// tests): a run leaves no tensor behind and writes its run directory.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { sampleDataDir } from '@atkd/data';
import { createModel, saveModel } from '@atkd/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/lib/config.js';
import { runTraining } from '../src/lib/training.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-training-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sample = sampleDataDir();
const quietOut = { quiet: true, info: () => undefined, stderr: process.stderr };

beforeAll(async () => {
  await initBackend({ log: false });
});

describe('training loop', () => {
  it('train and distill runs leave no tensor behind', async () => {
    const teacherDir = join(work, 'teacher');
    mkdirSync(teacherDir);
    const t = createModel('resnet8');
    await saveModel(t, teacherDir);
    t.dispose();
    const defaults = { teacher: teacherDir, teacherArch: null, train: join(sample, 'train.arrow'), test: join(sample, 'test.arrow') };
    const flags = { epochs: '2', batchSize: '8', stepsPerEpoch: '2', testLimit: '16', evalBatchSize: '16' };
    const before = tf.memory().numTensors;
    const train = await runTraining({ config: resolveConfig({ command: 'train', flags, defaults }), runDir: join(work, 'run-train'), resume: false, out: quietOut, resumeCommand: '' });
    expect(train.status).toBe('completed');
    expect(tf.memory().numTensors).toBe(before);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoints/latest/state.json', 'checkpoints/best/state.json']) expect(existsSync(join(work, 'run-train', f)), f).toBe(true);
    const lines = readFileSync(join(work, 'run-train', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['step', 'step', 'epoch', 'step', 'step', 'epoch']);
    for (const method of ['atkd-paired', 'ctkd']) {
      const s = await runTraining({ config: resolveConfig({ command: 'distill', flags: { ...flags, method }, defaults }), runDir: join(work, `run-${method}`), resume: false, out: quietOut, resumeCommand: '' });
      expect(s).toMatchObject({ status: 'completed', steps: 4 });
      expect(tf.memory().numTensors, method).toBe(before);
    }
  });
});
