import type { Field, Schema } from 'apache-arrow';
import { ColumnError } from './errors.js';
import { describeType, isFloat32Type, isLogitsType } from './types.js';

function columnList(schema: Schema): string {
  return schema.fields.length === 0 ? '(none)' : schema.fields.map((f) => f.name).join(', ');
}

/** The field named `name`, or a {@link ColumnError} listing the columns that are there. */
export function requireField(schema: Schema, name: string, source?: string): Field {
  const field = schema.fields.find((f) => f.name === name);
  if (field === undefined) {
    throw new ColumnError(name, `is missing (columns present: ${columnList(schema)})`, { source });
  }
  return field;
}

/**
 * Checks that `name` is a FixedSizeList<Float32>[classes] column (classes checked only if given) and
 * returns its list size. Throws a {@link ColumnError} naming the column otherwise.
 */
export function requireLogitsColumn(schema: Schema, name: string, classes?: number, source?: string): number {
  const field = requireField(schema, name, source);
  if (!isLogitsType(field.type)) {
    throw new ColumnError(name, `has type ${describeType(field.type)}, expected FixedSizeList[classes]<Float32>`, { source });
  }
  const size = field.type.listSize;
  if (classes !== undefined && size !== classes) {
    throw new ColumnError(name, `has ${size} classes per row (FixedSizeList[${size}]), expected ${classes}`, { source });
  }
  if (size < 2) throw new ColumnError(name, `has ${size} classes per row, expected at least 2`, { source });
  return size;
}

/** Checks that `name` is a Float32 column; throws a {@link ColumnError} naming it otherwise. */
export function requireFloat32Column(schema: Schema, name: string, source?: string): void {
  const field = requireField(schema, name, source);
  if (!isFloat32Type(field.type)) {
    throw new ColumnError(name, `has type ${describeType(field.type)}, expected Float32`, { source });
  }
}

/** True when the schema has a column called `name`. */
export function hasColumn(schema: Schema, name: string): boolean {
  return schema.fields.some((f) => f.name === name);
}
