import { Field, FixedSizeList, Float32, Precision, Type, type DataType, type FixedSizeBinary, type Float, type Int } from 'apache-arrow';

/** The Arrow type of a logits / soft-targets column: FixedSizeList<Float32>[classes] (non-nullable items). */
export function logitsType(classes: number): FixedSizeList<Float32> {
  checkClasses(classes);
  return new FixedSizeList(classes, new Field('item', new Float32(), false));
}

/** The Arrow type of a temperature column: Float32. */
export function temperatureType(): Float32 {
  return new Float32();
}

/** A short human-readable type name, e.g. `FixedSizeList[100]<Float32>`. */
export function describeType(type: DataType): string {
  if (FixedSizeList.isFixedSizeList(type)) {
    const child = (type as FixedSizeList).children[0]?.type;
    return `FixedSizeList[${(type as FixedSizeList).listSize}]<${child === undefined ? '?' : describeType(child)}>`;
  }
  return String(type);
}

// Type checks compare Arrow's typeId (and the type's parameters), never the type's string form.

/** True for FixedSizeList<Float32>[n] (any item field name and nullability). */
export function isLogitsType(type: DataType): type is FixedSizeList<Float32> {
  if (type.typeId !== Type.FixedSizeList) return false;
  const item = (type as FixedSizeList).children[0]?.type;
  return item !== undefined && isFloat32Type(item);
}

/** True for Float32. */
export function isFloat32Type(type: DataType): type is Float32 {
  return type.typeId === Type.Float && (type as Float).precision === Precision.SINGLE;
}

/** True for an unsigned integer of `bitWidth` bits (Uint8: 8, Uint32: 32). */
export function isUintType(type: DataType, bitWidth: 8 | 16 | 32 | 64): boolean {
  return type.typeId === Type.Int && !(type as Int).isSigned && (type as Int).bitWidth === bitWidth;
}

/** True for FixedSizeBinary[byteWidth]. */
export function isFixedSizeBinaryType(type: DataType, byteWidth: number): type is FixedSizeBinary {
  return type.typeId === Type.FixedSizeBinary && (type as FixedSizeBinary).byteWidth === byteWidth;
}

/** Throws a RangeError unless classes is an integer >= 2. */
export function checkClasses(classes: unknown, name = 'classes'): number {
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`${name} must be an integer >= 2, got ${String(classes)}`);
  }
  return classes;
}
