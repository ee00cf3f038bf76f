import * as tf from '@tensorflow/tfjs';
import { META, TEACHER_LOGITS, TEMPERATURE, SOFT_TARGETS, temperatureMetaEntries, withFloat32Column, withLogitsColumn, withSchemaMetadata } from '@atkd/columns';
import { COARSE_CLASSES, FINE_CLASSES, FORMAT, IMAGE_BYTES, cifarSchema, columnsToRecordBatch, type CifarMeta } from '@atkd/data';
import { maxLogitTemperature, softmax, zscore } from '@atkd/math';
import type { RecordBatch } from 'apache-arrow';

/** xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function normals(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

export const META_FOR_TESTS: CifarMeta = {
  format: FORMAT,
  split: 'train',
  fineLabelNames: Array.from({ length: FINE_CLASSES }, (_, i) => `fine${i}`),
  coarseLabelNames: Array.from({ length: COARSE_CLASSES }, (_, i) => `coarse${i}`),
  source: { file: 'synthetic', bytes: 0, records: 0, sha256: '0'.repeat(64) },
};

/** A CIFAR-schema record batch of random images and labels < classes. */
export function imageBatch(rows: number, classes: number, seed: number): RecordBatch {
  const r = rng(seed);
  const images = new Uint8Array(rows * IMAGE_BYTES);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(r() * 256);
  const fine = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) fine[i] = Math.floor(r() * classes);
  const indices = Uint32Array.from({ length: rows }, (_, i) => seed * 1000 + i);
  return columnsToRecordBatch(cifarSchema(META_FOR_TESTS), { length: rows, indices, images, fine, coarse: new Uint8Array(rows) });
}

export interface DistillBatchOptions {
  rows: number;
  classes: number;
  seed: number;
  /** 'adaptive-teacher' (teacher-only, z-scored), 'static' (T = 4, raw) or 'adaptive' / 'adaptive-paired' (paired: pending). */
  strategy?: 'adaptive-teacher' | 'static' | 'adaptive' | 'adaptive-paired';
  /** Add an exact soft_targets column (default true). */
  softTargets?: boolean;
  teacher?: Float32Array;
}

/** An image batch with teacher_logits, temperature (and soft_targets), as the earlier stages write them. */
export function distillBatch(o: DistillBatchOptions): RecordBatch {
  const strategy = o.strategy ?? 'adaptive-teacher';
  const teacher = o.teacher ?? normals(o.rows * o.classes, o.seed + 7, 3);
  const standardize = strategy !== 'static';
  let b = withLogitsColumn(imageBatch(o.rows, o.classes, o.seed), TEACHER_LOGITS, teacher, o.classes);
  const T = strategy === 'static' ? new Float64Array(o.rows).fill(4) : maxLogitTemperature(teacher, o.classes);
  b = withFloat32Column(b, TEMPERATURE, T);
  b = withSchemaMetadata(b, temperatureMetaEntries({ strategy, standardize, eps: 1e-7, pending: strategy === 'adaptive-paired' || strategy === 'adaptive' ? 'student' : undefined }));
  if (o.softTargets ?? true) {
    const z = standardize ? zscore(teacher, o.classes) : teacher;
    b = withLogitsColumn(b, SOFT_TARGETS, softmax(z, o.classes, Float32Array.from(T)), o.classes);
    b = withSchemaMetadata(b, { [META.softTargetsMethod]: 'exact' });
  }
  return b;
}

/** A tiny, fast student: 8x8 average pooling, BN, dense. Seeded. */
export function tinyModel(classes: number, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.averagePooling2d({ poolSize: 8, strides: 8 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
