import { Field, Float32, makeData, RecordBatch, Schema, Struct, Uint32 } from 'apache-arrow';

/** A small batch: `index` (step * rows + i) and `x` (float32), deterministic per step. */
export function tinyBatch(step: number, rows = 4): RecordBatch {
  const index = Uint32Array.from({ length: rows }, (_, i) => step * rows + i);
  const x = Float32Array.from({ length: rows }, (_, i) => step + i / 10);
  const fields = [new Field('index', new Uint32(), false), new Field('x', new Float32(), false)];
  const schema = new Schema(fields, new Map([['format', 'test/1']]));
  const children = [makeData({ type: new Uint32(), length: rows, nullCount: 0, data: index }), makeData({ type: new Float32(), length: rows, nullCount: 0, data: x })];
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

export function column(batch: RecordBatch, name: string): number[] {
  return Array.from(batch.getChild(name)?.toArray() as ArrayLike<number>);
}
