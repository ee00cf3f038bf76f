import type { Data, RecordBatch } from 'apache-arrow';
import { ColumnError } from './errors.js';
import { requireFloat32Column, requireLogitsColumn } from './schema.js';

/** A logits-like column read as one row-major Float32Array of rows x classes. */
export interface LogitsColumn {
  /** rows x classes values, row-major (a view of the batch's buffer when possible). */
  values: Float32Array;
  classes: number;
  rows: number;
}

function columnData(batch: RecordBatch, name: string): Data {
  const index = batch.schema.fields.findIndex((f) => f.name === name);
  const vector = batch.getChildAt(index);
  if (vector === null) throw new ColumnError(name, 'is missing');
  if (vector.data.length === 1) return vector.data[0];
  // A record batch column is one chunk; be safe anyway.
  throw new ColumnError(name, `has ${vector.data.length} chunks in one record batch; expected 1`);
}

function checkNoNulls(name: string, data: Data, source?: string): void {
  if (data.nullCount > 0) {
    throw new ColumnError(name, `has ${data.nullCount} null row(s); every row must have a value`, { source });
  }
}

/**
 * Reads a FixedSizeList<Float32>[classes] column (e.g. `teacher_logits`) as one row-major Float32Array
 * of rows x classes. Zero-copy: the result is a view of the batch's buffer (do not write to it).
 * Checks the type (and `classes`, if given) and that no row or value is null; throws a
 * {@link ColumnError} naming the column otherwise.
 */
export function readLogits(batch: RecordBatch, name: string, classes?: number, source?: string): LogitsColumn {
  const size = requireLogitsColumn(batch.schema, name, classes, source);
  const data = columnData(batch, name);
  checkNoNulls(name, data, source);
  const child = data.children[0];
  if (child === undefined) throw new ColumnError(name, 'has no child (item) data', { source });
  checkNoNulls(name, child, source);
  const rows = data.length;
  const all = child.values as Float32Array;
  // Arrow JS keeps `values` of primitive data already sliced to the data's first row (slicing a
  // FixedSizeList slices its child by rows x size), so the view starts at 0.
  if (all.length < rows * size) {
    throw new ColumnError(name, `holds ${all.length} values for ${rows} rows x ${size} classes`, { source });
  }
  return { values: all.subarray(0, rows * size), classes: size, rows };
}

/** Reads a Float32 column (e.g. `temperature`) as a Float32Array of one value per row (zero-copy view). */
export function readFloat32(batch: RecordBatch, name: string, source?: string): Float32Array {
  requireFloat32Column(batch.schema, name, source);
  const data = columnData(batch, name);
  checkNoNulls(name, data, source);
  const all = data.values as Float32Array;
  if (all.length < data.length) throw new ColumnError(name, `holds ${all.length} values for ${data.length} rows`, { source });
  return all.subarray(0, data.length);
}

/** Throws a {@link ColumnError} naming the first non-finite value of a column read as a typed array. */
export function checkFiniteColumn(name: string, values: Float32Array, classes = 1, source?: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      const row = Math.floor(i / classes);
      const where = classes === 1 ? `row ${row}` : `row ${row}, class ${i - row * classes}`;
      throw new ColumnError(name, `has a non-finite value ${v} at ${where}`, { source });
    }
  }
}
