/**
 * Checks class labels: `labels` has one integer in [0, classes) per row (any ArrayLike, e.g. an
 * Int32Array or a number[]). Errors name the argument and the offending row. @internal
 */
export function checkLabels(labels: unknown, rows: number, classes: number, name = 'labels'): ArrayLike<number> {
  if (labels === null || typeof labels !== 'object' || typeof (labels as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${name} must be an array of one class index per row, got ${labels === null ? 'null' : typeof labels}`);
  }
  const arr = labels as ArrayLike<number>;
  if (arr.length !== rows) throw new RangeError(`${name} has ${arr.length} values but the batch has ${rows} rows; give one label per row`);
  for (let b = 0; b < rows; b++) {
    const y = arr[b];
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= classes) {
      throw new RangeError(`${name}[${b}] is ${String(y)}: a label must be an integer in [0, ${classes})`);
    }
  }
  return arr;
}
