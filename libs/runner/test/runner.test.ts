// runEpochs in process: resume at any step gives the run an uninterrupted one gives (weights, optimizer
// state, step records), train (cross-entropy) and distill modes, events, no tensor left behind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { CifarArrowFile, sampleDataDir } from '@atkd/data';
import { createModel } from '@atkd/models';
import { getStrategy } from '@atkd/temperature';
import { getLoss } from '@atkd/student';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpochs, type EpochRecord, type RunEvent, type RunOptions, type StepRecord } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-runner-'));
let train: CifarArrowFile;
let test: CifarArrowFile;
let teacher: tf.LayersModel;

beforeAll(async () => {
  await initBackend({ log: false });
  train = await CifarArrowFile.open(join(sampleDataDir(), 'train.arrow'));
  test = await CifarArrowFile.open(join(sampleDataDir(), 'test.arrow'));
  teacher = createModel('resnet8');
});
afterAll(async () => {
  teacher.dispose();
  await train.close();
  await test.close();
  rmSync(work, { recursive: true, force: true });
});

function options(dir: string, mode: 'distill' | 'train', extra: Partial<RunOptions> = {}): RunOptions {
  return {
    mode, student: 'resnet8', seed: 5, epochs: 2, batchSize: 8, augment: true, stepsPerEpoch: 3, checkpointEvery: 0, evalBatchSize: 16, testLimit: 16,
    sgd: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }, gamma: 0.1, beta: 9, train, test, trainName: 'train.arrow', dir,
    ...(mode === 'distill' ? { teacher, strategy: getStrategy('adaptive-paired', {}) } : {}),
    ...extra,
  };
}

/** Runs to the end, recording the step records; with `stopAfter`, aborts after that many steps, then resumes. */
async function run(dir: string, mode: 'distill' | 'train', stopAfter?: number, extra: Partial<RunOptions> = {}): Promise<{ steps: StepRecord[]; events: string[] }> {
  const steps: StepRecord[] = [];
  const events: string[] = [];
  const stop = new AbortController();
  const onEvent = (e: RunEvent) => {
    events.push(e.type === 'checkpoint' ? `checkpoint:${e.name}` : e.type);
    if (e.type === 'step') {
      steps.push(e.record);
      if (e.state.step === stopAfter) stop.abort();
    }
    if (e.type === 'resumed') steps.splice(e.state.step);
  };
  const first = await runEpochs({ ...options(dir, mode, extra), signal: stop.signal, onEvent });
  if (stopAfter !== undefined) {
    expect(first.status).toBe('interrupted');
    expect(first.state.step).toBe(stopAfter);
    const again = await runEpochs({ ...options(dir, mode, extra), resume: true, onEvent });
    expect(again.status).toBe('completed');
    expect(again.state.step).toBe(6);
  } else expect(first.status).toBe('completed');
  return { steps, events };
}

const bytes = (dir: string, f: string) => readFileSync(join(dir, 'checkpoints', 'latest', f));
const strip = ({ img_s: _i, ...rest }: StepRecord) => rest;

describe('runEpochs', () => {
  it('distill: stopped at step 1, 3 (an epoch boundary) or 4 and resumed, it ends bit-identical to an uninterrupted run', async () => {
    const before = tf.memory().numTensors;
    const full = join(work, 'full');
    const ref = await run(full, 'distill');
    expect(ref.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ref.events.filter((t) => t === 'epoch')).toHaveLength(2);
    expect(ref.events[0]).toBe('eval-start'); // the teacher's evaluation comes first
    for (const k of [1, 3, 4]) {
      const dir = join(work, `cut-${k}`);
      const got = await run(dir, 'distill', k);
      for (const f of ['weights.bin', 'optimizer.bin']) expect(bytes(dir, f).equals(bytes(full, f)), `${f} after a stop at ${k}`).toBe(true);
      expect(got.steps.map(strip)).toEqual(ref.steps.map(strip));
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000); // seven short runs: minutes on a loaded 2-core machine

  it('train (cross-entropy): checkpoints every 2 steps, resumes bit-identical; step records carry no temperature', async () => {
    const before = tf.memory().numTensors;
    const full = join(work, 'train-full');
    const ref = await run(full, 'train', undefined, { checkpointEvery: 2 });
    expect(ref.steps.every((s) => s.t_mean === undefined && s.kd === undefined && Number.isFinite(s.loss) && s.loss === s.ce)).toBe(true);
    expect(ref.events.filter((t) => t === 'checkpoint:latest')).toHaveLength(4); // after steps 2 and 4 (mid-epoch) and at the end of both epochs
    expect(ref.events.filter((t) => t === 'checkpoint:best').length).toBeGreaterThanOrEqual(1);
    const dir = join(work, 'train-cut');
    const got = await run(dir, 'train', 2, { checkpointEvery: 2 });
    for (const f of ['weights.bin', 'optimizer.bin']) expect(bytes(dir, f).equals(bytes(full, f)), f).toBe(true);
    expect(got.steps.map(strip)).toEqual(ref.steps.map(strip));
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000);

  it('distill with DKD and MLKD: the epoch records carry the loss terms and the share of rows outside the radius; MLKD resumes bit-identical (seeded strong view)', async () => {
    const before = tf.memory().numTensors;
    /** One epoch of two steps with a loss and a strategy (fresh instances); its epoch records. */
    const extra = (loss: string, strategy: string): Partial<RunOptions> => ({ loss: getLoss(loss), strategy: getStrategy(strategy, strategy === 'static' ? { temperature: 4 } : {}), epochs: 1, stepsPerEpoch: 2 });
    const epochRecords = async (dir: string, loss: string, strategy: string): Promise<EpochRecord[]> => {
      const recs: EpochRecord[] = [];
      await runEpochs({ ...options(dir, 'distill', extra(loss, strategy)), onEvent: (e: RunEvent) => void (e.type === 'epoch' && recs.push(e.record)) });
      return recs;
    };
    // DKD, static T = 4 on raw logits: terms recorded; the share outside the radius is a share
    const d = await epochRecords(join(work, 'dkd'), 'dkd', 'static');
    expect(Object.keys(d[0].train_terms ?? {})).toEqual(['tckd', 'nckd', 'warmup']);
    expect(d[0].train_terms!.warmup).toBeCloseTo(1 / 20, 6);
    expect(d[0].outside_radius).toBeGreaterThanOrEqual(0);
    expect(d[0].outside_radius).toBeLessThanOrEqual(1);
    // MLKD with the paired adaptive temperature: every row inside the radius; the strong view is seeded, so a resume is exact
    const m = await epochRecords(join(work, 'mlkd'), 'mlkd', 'adaptive');
    expect(Object.keys(m[0].train_terms ?? {})).toEqual(['kdWeak', 'kdStrong', 'cc', 'bc', 'instanceShare', 'classShare']);
    expect(m[0].outside_radius).toBe(0);
    const stop = new AbortController();
    const cut = join(work, 'mlkd-cut');
    await runEpochs({ ...options(cut, 'distill', extra('mlkd', 'adaptive')), signal: stop.signal, onEvent: (e) => void (e.type === 'step' && stop.abort()) });
    await runEpochs({ ...options(cut, 'distill', extra('mlkd', 'adaptive')), resume: true });
    for (const f of ['weights.bin', 'optimizer.bin']) expect(bytes(cut, f).equals(bytes(join(work, 'mlkd'), f)), `${f} of MLKD after a stop at step 1`).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('errors: a distill run without a teacher, a resume without a checkpoint, a checkpoint of another student', async () => {
    await expect(runEpochs({ ...options(join(work, 'x'), 'distill'), teacher: undefined })).rejects.toThrow(/needs a teacher and a strategy/);
    await expect(runEpochs({ ...options(join(work, 'nothing'), 'train'), resume: true })).rejects.toThrow(/nothing: no checkpoint in .*nothing\/checkpoints\/latest/);
    await expect(runEpochs({ ...options(join(work, 'train-full'), 'train'), student: 'resnet14', resume: true })).rejects.toThrow(/holds a resnet8 student, the config asks for resnet14: the checkpoint does not match/);
  });

  it('a new best is written before latest: a kill between the two never leaves latest naming a missing best', async () => {
    const { events } = await run(join(work, 'order'), 'train');
    const afterEpochs = events.flatMap((t, i) => (t === 'epoch' ? [events.slice(i + 1).filter((x) => x.startsWith('checkpoint:')).slice(0, 2)] : []));
    expect(afterEpochs.length).toBe(2);
    expect(afterEpochs[0]).toEqual(['checkpoint:best', 'checkpoint:latest']); // the first epoch is always a new best
    for (const pair of afterEpochs) if (pair.includes('checkpoint:best')) expect(pair).toEqual(['checkpoint:best', 'checkpoint:latest']);
  });

  it('resuming with fewer epochs than the run has done is refused (was: completed: epoch 2/1)', async () => {
    await expect(runEpochs({ ...options(join(work, 'train-full'), 'train'), epochs: 1, resume: true })).rejects.toThrow(/train-full: the run has done 2 epochs; 1 epochs would end before where it stands \(give at least 2\)/);
  });

  it('sweeps what killed writers left in checkpoints/ (a temp checkpoint, a swapped-out old one)', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const dir = join(work, 'sweep');
    const root = join(dir, 'checkpoints');
    mkdirSync(join(root, `.latest.tmp-${dead}`), { recursive: true });
    writeFileSync(join(root, `.latest.tmp-${dead}`, 'weights.bin'), 'half');
    mkdirSync(join(root, 'best'));
    mkdirSync(join(root, `.best.old-${dead}`));
    await run(dir, 'train', undefined, { epochs: 1 });
    expect(readdirSync(root).sort()).toEqual(['best', 'latest']);
  });
});
