// Synchronous data-parallel steps over worker_threads (needs the built worker: dist/dp-worker.js).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { torchUnavailable } from '@atkd/backend-torch';
import { DataParallelTrainer, initBackend, shardSizes } from '../src/index.js';
import { relErr, rnd } from './helpers.js';
// @ts-expect-error a plain ES module fixture without type declarations
import { smallNet } from './fixtures/dp-models.mjs';

const builderModule = fileURLToPath(new URL('./fixtures/dp-models.mjs', import.meta.url));
const build = smallNet as (o?: { batchNorm?: boolean; units?: number }) => tf.LayersModel;

function labels(n: number, k: number): tf.Tensor {
  return tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % k), 'int32'), k);
}

describe('DataParallelTrainer', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: false });
  });

  it('splits batches into near-equal shards', () => {
    expect(shardSizes(7, 2)).toEqual([4, 3]);
    expect(shardSizes(64, 3)).toEqual([22, 21, 21]);
    expect(shardSizes(1, 2)).toEqual([1]);
    expect(() => shardSizes(0, 2)).toThrow(/batch size/);
  });

  it('matches a single-process full-batch SGD step (no batch-norm), up to float error', async () => {
    const main = build();
    const ref = build();
    ref.setWeights(main.getWeights());
    const x = rnd([7, 6, 6, 2], 11); // 7 rows: shards of 4 and 3, so the weighting matters
    const y = labels(7, 4);
    const trainer = await DataParallelTrainer.create({
      model: main, builder: { module: builderModule, exportName: 'smallNet' }, optimizer: tf.train.sgd(0.5), workers: 1,
    });
    expect(trainer.workerCount).toBe(1);
    const refOpt = tf.train.sgd(0.5);
    const refLoss = () => tf.losses.softmaxCrossEntropy(y, ref.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const initial = main.getWeights().map((w) => w.dataSync().slice());
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const lossDp = await trainer.step(x, y);
      const lossRef = refOpt.minimize(refLoss, true)!;
      expect(Math.abs(lossDp - lossRef.dataSync()[0])).toBeLessThan(1e-5);
      lossRef.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const a = main.getWeights(), b = ref.getWeights();
    a.forEach((w, i) => expect(relErr(w.dataSync(), b[i].dataSync())).toBeLessThan(1e-5));
    expect(Math.max(...a.map((w, i) => relErr(w.dataSync(), initial[i])))).toBeGreaterThan(1e-3);
    await trainer.dispose();
    await expect(trainer.step(x, y)).rejects.toThrow(/after dispose/);
    tf.dispose([x, y]);
    refOpt.dispose();
    main.dispose();
    ref.dispose();
  });

  it('averages batch-norm moving statistics across shards', async () => {
    const main = build({ batchNorm: true });
    const trainer = await DataParallelTrainer.create({
      model: main, builder: { module: builderModule, exportName: 'smallNet', args: { batchNorm: true } },
      optimizer: tf.train.sgd(0.1), workers: 1,
    });
    const x = rnd([8, 6, 6, 2], 3);
    const y = labels(8, 4);
    // expected moving mean after one step: average of the two shards' updates from the same start
    const start = main.nonTrainableWeights.map((w) => w.read().dataSync().slice());
    const shardMeans = [tf.slice(x, 0, 4), tf.slice(x, 4, 4)].map((xs) => {
      const probe = build({ batchNorm: true });
      probe.setWeights(main.getWeights());
      tf.tidy(() => { probe.apply(xs, { training: true }); });
      const m = probe.nonTrainableWeights.map((w) => w.read().dataSync().slice());
      probe.dispose();
      xs.dispose();
      return m;
    });
    await trainer.step(x, y);
    main.nonTrainableWeights.forEach((w, j) => {
      const expected = shardMeans[0][j].map((v, e) => 0.5 * v + 0.5 * shardMeans[1][j][e]);
      expect(relErr(w.read().dataSync(), expected)).toBeLessThan(1e-5);
      expect(relErr(w.read().dataSync(), start[j])).toBeGreaterThan(0);
    });
    await trainer.dispose();
    tf.dispose([x, y]);
    main.dispose();
  });

  it('rejects a worker model that does not match, naming the builder', async () => {
    const main = build();
    await expect(DataParallelTrainer.create({
      model: main, builder: { module: builderModule, exportName: 'smallNet', args: { units: 3 } }, optimizer: tf.train.sgd(0.1),
    })).rejects.toThrow(/dp-models\.mjs made a model whose weight shapes/);
    await expect(DataParallelTrainer.create({
      model: main, builder: { module: builderModule, exportName: 'nope' }, optimizer: tf.train.sgd(0.1),
    })).rejects.toThrow(/no exported function 'nope'/);
    main.dispose();
  });
});

describe.skipIf(torchUnavailable() !== null)('DataParallelTrainer on the torch engine (the addon in worker threads)', () => {
  it('two torch workers match a single-process torch step', async () => {
    await initBackend({ prefer: 'torch', log: false });
    const main = build();
    const ref = build();
    ref.setWeights(main.getWeights());
    const x = rnd([7, 6, 6, 2], 5);
    const y = labels(7, 4);
    const trainer = await DataParallelTrainer.create({
      model: main, builder: { module: builderModule, exportName: 'smallNet' }, optimizer: tf.train.sgd(0.5), workers: 2, backend: 'torch',
    });
    const refOpt = tf.train.sgd(0.5);
    const refLoss = () => tf.losses.softmaxCrossEntropy(y, ref.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    for (let step = 0; step < 2; step++) {
      const lossDp = await trainer.step(x, y);
      const lossRef = refOpt.minimize(refLoss, true)!;
      expect(Math.abs(lossDp - lossRef.dataSync()[0])).toBeLessThan(1e-5);
      lossRef.dispose();
    }
    const a = main.getWeights(), b = ref.getWeights();
    a.forEach((w, i) => expect(relErr(w.dataSync(), b[i].dataSync())).toBeLessThan(1e-5));
    await trainer.dispose();
    tf.dispose([x, y]);
    refOpt.dispose();
    main.dispose();
    ref.dispose();
    await initBackend({ prefer: 'wasm', log: false });
  });
});
