import { Field, makeData, RecordBatch, Schema, Struct, Uint32 } from 'apache-arrow';
import { TEMPERATURE, temperatureMetaEntries, withFloat32Column, withLogitsColumn, withSchemaMetadata } from '@atkd/columns';

export function randomLogits(rows: number, classes: number, seed: number, scale = 5): Float32Array {
  const out = new Float32Array(rows * classes);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** index + teacher_logits + temperature, with temperature metadata (standardize as given). */
export function stageBatch(teacher: Float32Array, classes: number, temps: ArrayLike<number>, standardize?: boolean, pending?: 'student'): RecordBatch {
  const rows = teacher.length / classes;
  const fields = [new Field('index', new Uint32(), false)];
  const index = makeData({ type: new Uint32(), length: rows, nullCount: 0, data: Uint32Array.from({ length: rows }, (_, i) => i) });
  let b = new RecordBatch(new Schema(fields, new Map([['format', 'test/1']])), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: [index] }));
  b = withLogitsColumn(b, 'teacher_logits', teacher, classes);
  b = withFloat32Column(b, TEMPERATURE, temps);
  if (standardize !== undefined) b = withSchemaMetadata(b, temperatureMetaEntries({ strategy: 'test', standardize, eps: 1e-7, pending }));
  return b;
}
