import { Field, makeData, RecordBatch, Schema, Struct, Uint32, Uint8 } from 'apache-arrow';
import { logitsData } from '../src/index.js';

/** A batch like the data lib's (index, fine) plus teacher_logits of rows x classes, deterministic values. */
export function makeBatch(rows: number, classes: number, seed = 1, metadata = new Map([['format', 'test/1']])): RecordBatch {
  const index = Uint32Array.from({ length: rows }, (_, i) => i + seed * 1000);
  const fine = Uint8Array.from({ length: rows }, (_, i) => (i * 7 + seed) % classes);
  const logits = new Float32Array(rows * classes);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < logits.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    logits[i] = (s / 2 ** 32) * 10 - 5;
  }
  const fields = [new Field('index', new Uint32(), false), new Field('fine', new Uint8(), false), new Field('teacher_logits', logitsData(logits, classes).type, false)];
  const children = [
    makeData({ type: new Uint32(), length: rows, nullCount: 0, data: index }),
    makeData({ type: new Uint8(), length: rows, nullCount: 0, data: fine }),
    logitsData(logits, classes),
  ];
  const schema = new Schema(fields, metadata);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}
