/**
 * Shared argument checks. Every public function validates its inputs here so that bad input
 * produces a clear `TypeError` / `RangeError` naming the argument (and, for non-finite values,
 * the row and column) instead of a silent NaN.
 */

/** A row-major batch of B x C logits. */
export type Logits = Float32Array | Float64Array;

/** A temperature: one value for every row, or one value per row (length B). */
export type TemperatureInput = number | ArrayLike<number>;

/** Checks `classes` and the shape of `data`; returns the number of rows B. */
export function checkBatch(name: string, data: unknown, classes: number): number {
  checkClasses(classes);
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    const got = data === null ? 'null' : typeof data === 'object' ? (data as object).constructor?.name ?? 'object' : typeof data;
    throw new TypeError(`${name} must be a Float32Array or Float64Array (row-major B x C), got ${got}`);
  }
  if (data.length % classes !== 0) {
    throw new RangeError(`${name}.length (${data.length}) is not divisible by classes (${classes})`);
  }
  return data.length / classes;
}

export function checkClasses(classes: number): void {
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`classes must be an integer >= 2, got ${String(classes)}`);
  }
}

/** Checks that two batches have the same shape; returns B. */
export function checkPair(nameA: string, a: unknown, nameB: string, b: unknown, classes: number): number {
  const rowsA = checkBatch(nameA, a, classes);
  const rowsB = checkBatch(nameB, b, classes);
  if (rowsA !== rowsB) {
    throw new RangeError(`${nameA} has ${rowsA} rows but ${nameB} has ${rowsB} (classes = ${classes}); they must match`);
  }
  return rowsA;
}

/** Throws the RangeError for a non-finite logit. */
export function throwNonFinite(name: string, row: number, column: number, value: number): never {
  throw new RangeError(`${name}[row ${row}, column ${column}] is ${value}: logits must be finite`);
}

/** Throws a RangeError naming row and column if a value of row `row` is NaN or infinite. */
export function checkFiniteRow(name: string, data: Logits, classes: number, row: number): void {
  const off = row * classes;
  for (let c = 0; c < classes; c++) {
    const v = data[off + c];
    if (v - v !== 0) throwNonFinite(name, row, c, v);
  }
}

/**
 * Expands a temperature argument to one value per row (B values), checking every value is a
 * finite number > 0 and a per-row array has length B.
 */
export function resolveTemperature(temperature: unknown, rows: number, name = 'temperature'): Float64Array {
  const out = new Float64Array(rows);
  if (typeof temperature === 'number') {
    checkTemperatureValue(temperature, name);
    out.fill(temperature);
    return out;
  }
  if (temperature === null || typeof temperature !== 'object' || typeof (temperature as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${name} must be a number or an array of one number per row, got ${temperature === null ? 'null' : typeof temperature}`);
  }
  const arr = temperature as ArrayLike<number>;
  if (arr.length !== rows) {
    throw new RangeError(`${name} has ${arr.length} values but the batch has ${rows} rows; give one temperature per row`);
  }
  for (let b = 0; b < rows; b++) {
    checkTemperatureValue(arr[b], `${name}[${b}]`);
    out[b] = arr[b];
  }
  return out;
}

function checkTemperatureValue(t: unknown, name: string): void {
  if (typeof t !== 'number' || !Number.isFinite(t) || !(t > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(t)}`);
  }
}

export function checkEps(eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`eps must be a finite number >= 0, got ${String(eps)}`);
  }
  return eps;
}

/** Checks an optional output buffer (Float64Array of the given length). */
export function checkOut(out: unknown, length: number): Float64Array {
  if (out === undefined) return new Float64Array(length);
  if (!(out instanceof Float64Array)) throw new TypeError('out must be a Float64Array');
  if (out.length !== length) throw new RangeError(`out.length (${out.length}) must equal the batch size B x C (${length})`);
  return out;
}
