// The StudentTrainer with each distillation loss of the registry: DKD on the usual stage columns (its
// terms and the outside-radius count in the metrics), MLKD on a batch with the strong view columns
// (two student forward passes), errors naming a missing strong-view column, tensor count flat.
import * as tf from '@tensorflow/tfjs';
import { IMAGE_STRONG, TEACHER_LOGITS_STRONG, withImageColumn, withLogitsColumn } from '@atkd/columns';
import { IMAGE_BYTES, strongAugmentBatch } from '@atkd/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { StudentTrainer, countOutsideRadius, getLoss } from '../src/index.js';
import { distillBatch, normals, tinyModel } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const C = 10;

/** A distill batch with MLKD's strong view: image_strong and its teacher logits. */
function strongBatch(rows: number, seed: number) {
  const b = distillBatch({ rows, classes: C, seed, strategy: 'adaptive' });
  const images = (b.getChild('image')!.data[0].values as Uint8Array).subarray(0, rows * IMAGE_BYTES);
  const strong = strongAugmentBatch(images, rows, [seed]);
  return withLogitsColumn(withImageColumn(b, IMAGE_STRONG, strong), TEACHER_LOGITS_STRONG, normals(rows * C, seed + 99, 3), C);
}

describe('StudentTrainer with the loss registry', () => {
  it('dkd: the loss is gamma CE + beta * warm-up * (alpha TCKD + beta_dkd NCKD); terms and outside-radius in the metrics; it falls', () => {
    const model = tinyModel(C, 3);
    const trainer = new StudentTrainer(model, { lr: 0.1, gamma: 1, beta: 1, loss: getLoss('dkd') });
    const batch = distillBatch({ rows: 16, classes: C, seed: 5, strategy: 'static' });
    const first = trainer.step(batch);
    expect(Object.keys(first.terms)).toEqual(['tckd', 'nckd', 'warmup']);
    expect(first.terms.warmup).toBeCloseTo(1 / 20, 6); // epoch 0 of the batch: the code's epoch 1
    expect(first.loss.kd).toBeCloseTo((first.terms.tckd + 8 * first.terms.nckd) / 20, 4);
    expect(first.loss.total).toBeCloseTo(first.loss.ce + first.loss.kd, 4);
    expect(first.terms.tckd).toBeGreaterThan(0);
    expect(first.terms.nckd).toBeGreaterThan(0);
    // static T = 4 on raw logits of spread 3: some rows leave the radius, and the count says how many
    const teacher = (batch.getChild('teacher_logits')!.data[0].children[0].values as Float32Array).subarray(0, 16 * C);
    const want = countOutsideRadius(teacher, C, new Float32Array(16).fill(4), false, 1e-7);
    expect(first.outsideRadius).toBe(want);
    expect(want).toBeGreaterThan(0);
    let last = first;
    for (let i = 0; i < 40; i++) last = trainer.step(batch);
    expect(last.terms.nckd).toBeLessThan(first.terms.nckd);
    trainer.dispose();
    model.dispose();
  }, 60_000);

  it('the paired adaptive temperature keeps every row inside the radius (outsideRadius 0) with kd and dkd', () => {
    for (const name of ['kd', 'dkd']) {
      const model = tinyModel(C, 4);
      const trainer = new StudentTrainer(model, { loss: getLoss(name) });
      const m = trainer.step(distillBatch({ rows: 8, classes: C, seed: 7, strategy: 'adaptive' }));
      expect(m.outsideRadius, name).toBe(0);
      trainer.dispose();
      model.dispose();
    }
  });

  it('mlkd: both views through the student, CE of both, the multi-level terms; tensor count flat over steps', () => {
    const model = tinyModel(C, 6);
    const trainer = new StudentTrainer(model, { lr: 0.05, loss: getLoss('mlkd') });
    const batch = strongBatch(8, 11);
    const first = trainer.step(batch);
    expect(Object.keys(first.terms)).toEqual(['kdWeak', 'kdStrong', 'cc', 'bc', 'instanceShare', 'classShare']);
    const t = first.terms;
    expect(first.loss.kd).toBeCloseTo(t.kdWeak + t.kdStrong + t.cc + t.bc, 4);
    expect(t.instanceShare).toBe(0.5);
    expect(first.loss.total).toBeCloseTo(0.1 * first.loss.ce + 9 * first.loss.kd, 3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) trainer.step(batch);
    expect(tf.memory().numTensors).toBe(before);
    const last = trainer.step(batch);
    expect(last.loss.kd).toBeLessThan(first.loss.kd);
    trainer.dispose();
    model.dispose();
  }, 60_000);

  it('mlkd without the strong view names the missing column', () => {
    const model = tinyModel(C, 6);
    const trainer = new StudentTrainer(model, { loss: getLoss('mlkd') });
    expect(() => trainer.step(distillBatch({ rows: 4, classes: C, seed: 2 }))).toThrow(/column "image_strong" is missing: loss "mlkd" needs the strong view/);
    trainer.dispose();
    model.dispose();
  });
});
