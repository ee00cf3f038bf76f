// Shared by the torch tests: run one kernel on cpu and on torch from the same inputs and compare.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { torchUnavailable } from '../src/index.js';

export { relErr, rnd } from '../../backend/test/helpers.js';
import { relErr } from '../../backend/test/helpers.js';

/** Why the torch tests are skipped here (null: they run). On CI libtorch is installed: they run. */
export const SKIP = torchUnavailable();

export const TOL = 1e-4;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}

/** Runs kernel `name` on cpu and torch (inputs built on each backend) and compares shape, dtype, values. */
export function compareKernel(
  name: string, inputs: () => Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}, tol = TOL,
): void {
  const run = (backend: string) => {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const out = tf.engine().runKernel(name, inputs() as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
      const outs = Array.isArray(out) ? out : [out as tf.Tensor];
      return outs.map((t) => ({ shape: t.shape, dtype: t.dtype, data: values(t) }));
    });
  };
  const cpu = run('cpu');
  const before = tf.memory().numTensors;
  const torch = run('torch');
  expect(tf.memory().numTensors, `${name} leaked tensors`).toBe(before);
  expect(torch.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(torch[i].shape, `${name} output ${i} shape`).toEqual(cpu[i].shape);
    expect(torch[i].dtype, `${name} output ${i} dtype`).toBe(cpu[i].dtype);
    expect(relErr(torch[i].data, cpu[i].data), `${name} output ${i} values`).toBeLessThanOrEqual(tol);
  }
}

/** Deterministic values in [-1, 1) (or integers in [lo, hi) for int32) built on the current backend. */
export function tensor(shape: number[], seed: number, dtype: 'float32' | 'int32' | 'bool' = 'float32', lo = -5, hi = 5): tf.Tensor {
  let s = (seed * 2654435761) >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  if (dtype === 'float32') return tf.tensor(Float32Array.from({ length: n }, () => next() * 2 - 1), shape, 'float32');
  if (dtype === 'int32') return tf.tensor(Int32Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo))), shape, 'int32');
  return tf.tensor(Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0)), shape, 'bool');
}
