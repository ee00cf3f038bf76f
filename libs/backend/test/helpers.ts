import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Uniform(-1, 1) tensor from a deterministic seed. */
export function rnd(shape: number[], seed: number): tf.Tensor {
  let s = (seed * 2654435761) >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return tf.tensor(data, shape);
}

/** max |a-b| / max |b| (0 when both are all-zero). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs `f` on `backend` and returns its result's shape and values (tensors disposed). */
export function on(backend: string, f: () => tf.Tensor): { shape: number[]; data: Float32Array } {
  tf.setBackend(backend);
  const t = tf.tidy(f);
  const out = { shape: t.shape, data: t.dataSync() as Float32Array };
  t.dispose();
  return out;
}
