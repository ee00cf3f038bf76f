import { Field, makeData, RecordBatch, Schema, Struct, Uint32 } from 'apache-arrow';
import { withLogitsColumn } from '@atkd/columns';

/** Deterministic pseudo-random logits in [-scale, scale]. */
export function randomLogits(rows: number, classes: number, seed: number, scale = 5): Float32Array {
  const out = new Float32Array(rows * classes);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** A record batch with an `index: uint32` column and `teacher_logits` (and optionally `student_logits`). */
export function logitsBatch(teacher: Float32Array, classes: number, student?: Float32Array): RecordBatch {
  const rows = teacher.length / classes;
  const fields = [new Field('index', new Uint32(), false)];
  const index = makeData({ type: new Uint32(), length: rows, nullCount: 0, data: Uint32Array.from({ length: rows }, (_, i) => i) });
  const base = new RecordBatch(new Schema(fields, new Map([['format', 'test/1']])), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: [index] }));
  let b = withLogitsColumn(base, 'teacher_logits', teacher, classes);
  if (student !== undefined) b = withLogitsColumn(b, 'student_logits', student, classes);
  return b;
}
