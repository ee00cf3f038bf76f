import { Field, FixedSizeList, Float32, Float64, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  ColumnError,
  META,
  readBatchMetrics,
  readFloat32,
  readLogits,
  readTemperatureMeta,
  requireLogitsColumn,
  SOFT_TARGETS,
  TEACHER_LOGITS,
  TEMPERATURE,
  temperatureMetaEntries,
  withBatchMetrics,
  withFloat32Column,
  withLogitsColumn,
  withoutColumn,
  withSchemaMetadata,
} from '../src/index.js';
import { makeBatch } from './helpers.js';

describe('readLogits', () => {
  it('returns a zero-copy row-major view with the classes and rows', () => {
    const b = makeBatch(5, 10);
    const col = readLogits(b, TEACHER_LOGITS);
    expect(col.rows).toBe(5);
    expect(col.classes).toBe(10);
    expect(col.values.length).toBe(50);
    const child = b.getChild(TEACHER_LOGITS)!.data[0].children[0];
    expect(col.values.buffer).toBe((child.values as Float32Array).buffer);
    // row 3 through the Arrow vector API equals row 3 of the view
    const row3 = b.getChild(TEACHER_LOGITS)!.get(3)!.toArray() as Float32Array;
    expect(Array.from(col.values.subarray(30, 40))).toEqual(Array.from(row3));
  });

  it('reads the rows of a sliced batch', () => {
    const b = makeBatch(8, 4);
    const full = readLogits(b, TEACHER_LOGITS).values;
    const s = b.slice(3, 6);
    const col = readLogits(s, TEACHER_LOGITS);
    expect(col.rows).toBe(3);
    expect(Array.from(col.values)).toEqual(Array.from(full.subarray(12, 24)));
  });

  it('names a missing column and lists the present ones', () => {
    const b = makeBatch(2, 3);
    expect(() => readLogits(b, SOFT_TARGETS)).toThrow(ColumnError);
    expect(() => readLogits(b, SOFT_TARGETS)).toThrow('column "soft_targets" is missing (columns present: index, fine, teacher_logits)');
    expect(() => readLogits(b, SOFT_TARGETS, undefined, 'stdin')).toThrow(/^stdin: column "soft_targets"/);
  });

  it('names a mistyped column and a wrong class count', () => {
    const b = makeBatch(2, 3);
    expect(() => readLogits(b, 'fine')).toThrow('column "fine" has type Uint8, expected FixedSizeList[classes]<Float32>');
    expect(() => readLogits(b, TEACHER_LOGITS, 100)).toThrow('column "teacher_logits" has 3 classes per row (FixedSizeList[3]), expected 100');
    const f64 = new FixedSizeList(3, new Field('item', new Float64(), false));
    const data = makeData({ type: f64, length: 1, nullCount: 0, child: makeData({ type: new Float64(), length: 3, nullCount: 0, data: new Float64Array(3) }) });
    const fields = [new Field(TEACHER_LOGITS, f64, false)];
    const rb = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 1, nullCount: 0, children: [data] }));
    expect(() => requireLogitsColumn(rb.schema, TEACHER_LOGITS)).toThrow('column "teacher_logits" has type FixedSizeList[3]<Float64>');
  });

  it('rejects null rows', () => {
    const type = new FixedSizeList(2, new Field('item', new Float32(), true));
    const bitmap = Uint8Array.of(0b01); // row 1 null
    const data = makeData({ type, length: 2, nullCount: 1, nullBitmap: bitmap, child: makeData({ type: new Float32(), length: 4, nullCount: 0, data: new Float32Array(4) }) });
    const fields = [new Field(TEACHER_LOGITS, type, true)];
    const rb = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 2, nullCount: 0, children: [data] }));
    expect(() => readLogits(rb, TEACHER_LOGITS)).toThrow('column "teacher_logits" has 1 null row(s)');
  });
});

describe('withColumn and friends', () => {
  it('appends a column and passes every other column, the schema and batch metadata through', () => {
    const b0 = withBatchMetrics(makeBatch(4, 3), { 'x.count': 2 });
    const t = Float32Array.of(1, 2, 3, 4);
    const b = withFloat32Column(b0, TEMPERATURE, t);
    expect(b.schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits', 'temperature']);
    for (const name of ['index', 'fine', 'teacher_logits']) expect(b.getChild(name)!.data[0]).toBe(b0.getChild(name)!.data[0]);
    expect(b.schema.metadata.get('format')).toBe('test/1');
    expect(readBatchMetrics(b)).toEqual({ 'x.count': 2 });
    const read = readFloat32(b, TEMPERATURE);
    expect(read).toEqual(t);
    expect(read.buffer).toBe(t.buffer); // zero-copy both ways
  });

  it('replaces a column of the same name in place', () => {
    const b0 = withFloat32Column(makeBatch(2, 3), TEMPERATURE, [1, 2]);
    const b = withFloat32Column(b0, TEACHER_LOGITS, [5, 6]);
    expect(b.schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits', 'temperature']);
    expect(String(b.schema.fields[2].type)).toBe('Float32');
    expect(Array.from(readFloat32(b, TEACHER_LOGITS))).toEqual([5, 6]);
    const back = withLogitsColumn(b, TEACHER_LOGITS, new Float64Array([0.5, 1, 2, 3, 4, 5]), 3);
    expect(Array.from(readLogits(back, TEACHER_LOGITS, 3).values)).toEqual([0.5, 1, 2, 3, 4, 5]);
    expect(withoutColumn(back, TEMPERATURE).schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits']);
  });

  it('refuses data of the wrong length, naming the column', () => {
    expect(() => withFloat32Column(makeBatch(3, 2), TEMPERATURE, [1, 2])).toThrow('column "temperature" has 2 rows but the batch has 3');
    expect(() => withLogitsColumn(makeBatch(3, 2), SOFT_TARGETS, new Float32Array(5), 2)).toThrow(/not divisible/);
  });

  it('reads temperature metadata back as written', () => {
    const b = withSchemaMetadata(makeBatch(1, 2), temperatureMetaEntries({ strategy: 'adaptive-paired', standardize: true, eps: 1e-6, pending: 'student', options: { a: 1 } }));
    expect(readTemperatureMeta(b.schema)).toEqual({ strategy: 'adaptive-paired', standardize: true, eps: 1e-6, pending: 'student', options: { a: 1 }, learnable: false });
    expect(readTemperatureMeta(makeBatch(1, 2).schema)).toEqual({ strategy: undefined, standardize: false, eps: 1e-7, pending: undefined, options: {}, learnable: false });
    const learnable = withSchemaMetadata(b, temperatureMetaEntries({ strategy: 'ctkd', standardize: false, eps: 1e-7, pending: undefined, learnable: true }));
    expect(learnable.schema.metadata.get(META.temperatureLearnable)).toBe('true');
    expect(readTemperatureMeta(learnable.schema)).toMatchObject({ strategy: 'ctkd', learnable: true, pending: undefined });
    // a later non-learnable stage removes the key
    expect(readTemperatureMeta(withSchemaMetadata(learnable, temperatureMetaEntries({ strategy: 'static', standardize: false, eps: 1e-7, pending: undefined })).schema).learnable).toBe(false);
    const bad = withSchemaMetadata(b, { [META.standardize]: 'yes' });
    expect(() => readTemperatureMeta(bad.schema)).toThrow(META.standardize);
    expect(() => readTemperatureMeta(withSchemaMetadata(b, { [META.temperatureLearnable]: 'yes' }).schema)).toThrow(META.temperatureLearnable);
  });

  it('merges batch metrics', () => {
    const b = withBatchMetrics(withBatchMetrics(makeBatch(1, 2), { a: 1, b: 2 }), { b: 3, c: 'x' });
    expect(readBatchMetrics(b)).toEqual({ a: 1, b: 3, c: 'x' });
  });
});
