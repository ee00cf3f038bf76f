import { Field, Float32, makeData, RecordBatch, Schema, Struct, type Data, type DataType } from 'apache-arrow';
import { ColumnError } from './errors.js';
import { checkClasses, logitsType, temperatureType } from './types.js';

/** The column data of every field of the batch, in schema order (shared, not copied). */
function columnsOf(batch: RecordBatch): Data[] {
  return batch.schema.fields.map((_, i) => {
    const v = batch.getChildAt(i);
    if (v === null || v.data.length !== 1) throw new ColumnError(batch.schema.fields[i].name, 'is not a single-chunk column');
    return v.data[0];
  });
}

/**
 * A new record batch with column `field` set to `data`: it replaces the column of that name (same
 * position) or is appended. Every other column, the schema metadata and the batch metadata are
 * passed through untouched (shared, not copied). `data.length` must equal the batch's rows.
 */
export function withColumn(batch: RecordBatch, field: Field, data: Data): RecordBatch {
  if (data.length !== batch.numRows) {
    throw new ColumnError(field.name, `has ${data.length} rows but the batch has ${batch.numRows}`);
  }
  const fields = [...batch.schema.fields];
  const children = columnsOf(batch);
  const at = fields.findIndex((f) => f.name === field.name);
  if (at >= 0) {
    fields[at] = field;
    children[at] = data;
  } else {
    fields.push(field);
    children.push(data);
  }
  const schema = new Schema(fields, batch.schema.metadata);
  const struct = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(schema, struct, batch.metadata);
}

/** Float32 data of one value per row, wrapping `values` (no copy). */
export function float32Data(values: Float32Array): Data<Float32> {
  return makeData({ type: temperatureType(), length: values.length, nullCount: 0, data: values });
}

/** FixedSizeList<Float32>[classes] data wrapping the row-major `values` (rows x classes, no copy). */
export function logitsData(values: Float32Array, classes: number): Data {
  checkClasses(classes);
  if (values.length % classes !== 0) throw new RangeError(`values.length (${values.length}) is not divisible by classes (${classes})`);
  const type = logitsType(classes);
  const child = makeData({ type: type.children[0].type, length: values.length, nullCount: 0, data: values });
  return makeData({ type, length: values.length / classes, nullCount: 0, child });
}

function toFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** {@link withColumn} for a Float32 column (e.g. `temperature`); Float64 values are rounded to float32. */
export function withFloat32Column(batch: RecordBatch, name: string, values: ArrayLike<number>): RecordBatch {
  return withColumn(batch, new Field(name, new Float32(), false), float32Data(toFloat32(values)));
}

/** {@link withColumn} for a FixedSizeList<Float32>[classes] column (e.g. `soft_targets`), values row-major. */
export function withLogitsColumn(batch: RecordBatch, name: string, values: ArrayLike<number>, classes: number): RecordBatch {
  const data = logitsData(toFloat32(values), classes);
  return withColumn(batch, new Field(name, data.type as DataType, false), data);
}

/** A new record batch without column `name` (no-op copy of the batch when it is absent). */
export function withoutColumn(batch: RecordBatch, name: string): RecordBatch {
  const keep = batch.schema.fields.map((f, i) => [f, i] as const).filter(([f]) => f.name !== name);
  const children = columnsOf(batch);
  const fields = keep.map(([f]) => f);
  const schema = new Schema(fields, batch.schema.metadata);
  const struct = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children: keep.map(([, i]) => children[i]) });
  return new RecordBatch(schema, struct, batch.metadata);
}

/**
 * A new record batch whose schema metadata has `entries` set (`undefined` deletes a key); columns
 * and batch metadata are shared.
 */
export function withSchemaMetadata(batch: RecordBatch, entries: Record<string, string | undefined>): RecordBatch {
  const md = new Map(batch.schema.metadata);
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) md.delete(k);
    else md.set(k, v);
  }
  const schema = new Schema(batch.schema.fields, md);
  return new RecordBatch(schema, batch.data, batch.metadata);
}

/** A new record batch whose record-batch metadata has `entries` set (`undefined` deletes a key). */
export function withBatchMetadata(batch: RecordBatch, entries: Record<string, string | undefined>): RecordBatch {
  const md = new Map(batch.metadata);
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) md.delete(k);
    else md.set(k, v);
  }
  return new RecordBatch(batch.schema, batch.data, md);
}
