import { Field, FixedSizeList, Float32, type DataType } from 'apache-arrow';

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

/** True for FixedSizeList<Float32>[n] (any item field name and nullability). */
export function isLogitsType(type: DataType): type is FixedSizeList<Float32> {
  return FixedSizeList.isFixedSizeList(type) && Float32Is((type as FixedSizeList).children[0]?.type);
}

function Float32Is(type: DataType | undefined): boolean {
  return type !== undefined && Float32.isFloat(type) && String(type) === 'Float32';
}

/** True for Float32. */
export function isFloat32Type(type: DataType): type is Float32 {
  return Float32Is(type);
}

/** Throws a RangeError unless classes is an integer >= 2. */
export function checkClasses(classes: unknown, name = 'classes'): number {
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`${name} must be an integer >= 2, got ${String(classes)}`);
  }
  return classes;
}
