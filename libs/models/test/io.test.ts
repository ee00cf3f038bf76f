import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_JSON, WEIGHTS_BIN, loadModel, loadTorchCheckpoint, saveModel } from '../src/index.js';
import { FIXTURES, cpuBackend, fixtureGraph, parityManifest, readF32 } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'atkd-models-io-'));
const manifest = parityManifest();
const input = (): tf.Tensor4D => tf.tensor4d(readF32(join(FIXTURES, 'parity', 'input.bin')), manifest.inputShape as [number, number, number, number]);

describe('TF.js layers-format save / load (model.json + weights.bin)', () => {
  beforeAll(cpuBackend);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  // resnet8: standard layers; shufflev1 / shufflev2: the custom GroupConv2D / ChannelShuffle / ChannelSlice.
  for (const id of ['resnet8', 'shufflev1_small', 'shufflev2_0.2', 'mobilenetv2_T2_w025']) {
    it(`${id}: round trip gives identical logits`, async () => {
      const f = manifest.fixtures.find((x) => x.id === id)!;
      const before = tf.memory().numTensors;
      const model = await loadTorchCheckpoint(join(FIXTURES, 'parity', `${id}.pth`), fixtureGraph(f));
      const dir = join(tmp, id);
      const result = await saveModel(model, dir);
      expect(result.modelArtifactsInfo.weightDataBytes).toBe((model.countParams()) * 4);
      expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]); // no temp files left
      const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0].paths).toEqual([`./${WEIGHTS_BIN}`]);
      const loaded = await loadModel(dir);
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      const x = input();
      const a = model.predict(x) as tf.Tensor;
      const b = loaded.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('overwrites an existing save atomically', async () => {
    const f = manifest.fixtures.find((x) => x.id === 'resnet8')!;
    const m = await loadTorchCheckpoint(join(FIXTURES, 'parity', 'resnet8.pth'), fixtureGraph(f));
    const dir = join(tmp, 'twice');
    await saveModel(m, dir);
    await saveModel(m, dir);
    expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    m.dispose();
  });

  it('reports a missing directory, bad JSON and truncated weights by file', async () => {
    const before = tf.memory().numTensors;
    await expect(loadModel(join(tmp, 'absent'))).rejects.toThrow(/absent[/\\]model\.json: cannot read the model/);
    const bad = join(tmp, 'bad');
    const f = manifest.fixtures.find((x) => x.id === 'resnet8')!;
    const m = await loadTorchCheckpoint(join(FIXTURES, 'parity', 'resnet8.pth'), fixtureGraph(f));
    await saveModel(m, bad);
    m.dispose();
    const w = readFileSync(join(bad, WEIGHTS_BIN));
    writeFileSync(join(bad, WEIGHTS_BIN), w.subarray(0, w.length - 8));
    await expect(loadModel(bad)).rejects.toThrow(/model\.json: weights hold \d+ bytes, the manifest needs \d+/);
    writeFileSync(join(bad, MODEL_JSON), '{"modelTopology":');
    await expect(loadModel(bad)).rejects.toThrow(/model\.json: not valid JSON/);
    writeFileSync(join(bad, MODEL_JSON), '{"format":"layers-model"}');
    await expect(loadModel(bad)).rejects.toThrow(/field 'modelTopology' is missing/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flipped bytes in weights.bin are an error naming the file (was: loaded, silently wrong outputs)', async () => {
    const before = tf.memory().numTensors;
    const dir = join(tmp, 'flipped');
    const f = manifest.fixtures.find((x) => x.id === 'resnet8')!;
    const m = await loadTorchCheckpoint(join(FIXTURES, 'parity', 'resnet8.pth'), fixtureGraph(f));
    await saveModel(m, dir);
    m.dispose();
    expect(JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')).atkdWeightsCrc32).toMatch(/^[0-9a-f]{8}$/);
    const w = readFileSync(join(dir, WEIGHTS_BIN));
    w[Math.floor(w.length / 2)] ^= 0x40;
    writeFileSync(join(dir, WEIGHTS_BIN), w);
    await expect(loadModel(dir)).rejects.toThrow(/flipped[/\\]model\.json: the weights are corrupted: their CRC-32 is [0-9a-f]{8}, model\.json recorded [0-9a-f]{8}/);
    // verify: false loads it anyway
    const loaded = await loadModel(dir, { verify: false });
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
