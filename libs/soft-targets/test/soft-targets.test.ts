import {
  decodeIpcStream,
  encodeIpcStream,
  META,
  readBatchMetrics,
  readLogits,
  SOFT_TARGETS,
  TEACHER_LOGITS,
  TEMPERATURE,
} from '@atkd/columns';
import { CONVERGENCE_RADIUS, maxLogitTemperature, softmax, taylorSoftmax, zscore } from '@atkd/math';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { withSoftTargets, computeSoftTargets, addSoftTargets } from '../src/index.js';
import { randomLogits, stageBatch } from './helpers.js';

const C = 100;
const B = 8;
const logits = randomLogits(B, C, 3, 6);
const temps = Float32Array.from({ length: B }, (_, b) => 1 + b);

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

describe('computeSoftTargets', () => {
  it('exact: @atkd/math softmax at per-row temperatures (float32)', () => {
    const r = computeSoftTargets(logits, C, temps);
    expect(r.targets).toBeInstanceOf(Float32Array);
    expectClose(r.targets, softmax(logits, C, temps), 1e-7);
    for (let b = 0; b < B; b++) expect(r.targets.subarray(b * C, (b + 1) * C).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  });

  it('standardize: softmax of the z-scored logits', () => {
    const r = computeSoftTargets(logits, C, temps, { standardize: true });
    expectClose(r.targets, softmax(zscore(logits, C), C, temps), 1e-7);
  });

  it('Taylor orders 2 and 4: @atkd/math taylorSoftmax', () => {
    const T = maxLogitTemperature(logits, C);
    for (const order of [2, 4]) {
      const r = computeSoftTargets(logits, C, T, { order, standardize: true });
      expectClose(r.targets, taylorSoftmax(zscore(logits, C), C, T, order), 1e-7);
    }
  });

  it('counts rows outside the convergence radius exactly', () => {
    // row b has max |z| = 1; T_b chosen so that rows 0, 2 are outside, 1, 3 inside (incl. exactly on the radius)
    const x = new Float32Array([1, -0.5, 0, 0.5, -1, 0.25, 1, 0, 0, -1, 0.5, 0.5]);
    const R = CONVERGENCE_RADIUS;
    const t = [1 / (R * 1.01), 1 / R, 0.5, 10];
    const r = computeSoftTargets(x, 3, t);
    expect(Array.from(r.outsideRows)).toEqual([1, 0, 1, 0]);
    expect(r.outsideRadius).toBe(2);
    expect(r.maxAbsScaled).toBeCloseTo(2, 12);
  });

  it('the max-logit temperature keeps every row inside, T = 1 puts these outside', () => {
    const T = maxLogitTemperature(logits, C);
    expect(computeSoftTargets(logits, C, T, { standardize: true }).outsideRadius).toBe(0);
    expect(computeSoftTargets(logits, C, new Float32Array(B).fill(1), { standardize: true }).outsideRadius).toBe(B);
  });

  it('rejects a bad order, and an odd order whose series goes negative, naming row and column', () => {
    expect(() => computeSoftTargets(logits, C, temps, { order: 0 })).toThrow('order must be an integer in [1, 1000], got 0');
    expect(() => computeSoftTargets(logits, C, temps, { order: 2.5 })).toThrow('order must be an integer');
    expect(() => computeSoftTargets(new Float32Array([-5, 0, 5]), 3, [1], { order: 1 })).toThrow(/row 0, column 0/);
  });
});

describe('softTargets operator', () => {
  it('adds soft_targets, passes every other column through, follows the standardize metadata', async () => {
    const b = stageBatch(logits, C, temps, true);
    const [out] = await lastValueFrom(from([b]).pipe(addSoftTargets(), toArray()));
    expect(out.schema.fields.map((f) => f.name)).toEqual(['index', 'teacher_logits', 'temperature', 'soft_targets']);
    for (const name of ['index', 'teacher_logits', 'temperature']) expect(out.getChild(name)!.data[0]).toBe(b.getChild(name)!.data[0]);
    const st = readLogits(out, SOFT_TARGETS, C);
    expectClose(st.values, softmax(zscore(logits, C), C, temps), 1e-7);
    expect(out.schema.metadata.get(META.softTargetsMethod)).toBe('exact');
    expect(out.schema.metadata.get(META.temperatureStrategy)).toBe('test');
    // raw logits when the stream does not standardize
    const raw = withSoftTargets(stageBatch(logits, C, temps, false));
    expectClose(readLogits(raw, SOFT_TARGETS).values, softmax(logits, C, temps), 1e-7);
    // explicit override
    const forced = withSoftTargets(stageBatch(logits, C, temps, false), { standardize: true });
    expectClose(readLogits(forced, SOFT_TARGETS).values, softmax(zscore(logits, C), C, temps), 1e-7);
  });

  it('Taylor order in metadata; outside-radius count in batch metrics that survive Arrow IPC', () => {
    const T = Float32Array.from(maxLogitTemperature(logits, C));
    T[2] = 0.5; // force row 2 outside
    const out = withSoftTargets(stageBatch(logits, C, T, true), { order: 4 });
    expect(out.schema.metadata.get(META.softTargetsMethod)).toBe('taylor');
    expect(out.schema.metadata.get(META.softTargetsOrder)).toBe('4');
    const { schema, batches } = decodeIpcStream(encodeIpcStream([out]));
    expect(schema.metadata.get(META.softTargetsOrder)).toBe('4');
    const m = readBatchMetrics(batches[0]);
    expect(m['soft_targets.outside_radius']).toBe(1);
    expect(m['soft_targets.rows']).toBe(B);
    expect(m['soft_targets.pending']).toBe(false);
    expect(m['soft_targets.standardized']).toBe(true);
  });

  it('marks soft targets computed at a provisional temperature', () => {
    const out = withSoftTargets(stageBatch(logits, C, temps, true, 'student'));
    expect(readBatchMetrics(out)['soft_targets.pending']).toBe(true);
  });

  it('errors name the missing or bad column', async () => {
    const b = stageBatch(logits, C, temps, true);
    await expect(firstValueFrom(from([b.select(['index', TEACHER_LOGITS])]).pipe(addSoftTargets({ source: 'stdin' })))).rejects.toThrow(
      'stdin: column "temperature" is missing (columns present: index, teacher_logits)',
    );
    const zero = stageBatch(logits, C, Float32Array.from(temps).fill(0, 3, 4), true);
    expect(() => withSoftTargets(zero)).toThrow('column "temperature" has 0 at row 3');
    expect(() => addSoftTargets({ order: -1 })).toThrow('order must be an integer');
    expect(() => withSoftTargets(b.select(['index', TEMPERATURE]))).toThrow('column "teacher_logits" is missing');
  });
});
