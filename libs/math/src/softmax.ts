import { checkBatch, checkOut, resolveTemperature, throwNonFinite, type Logits, type TemperatureInput } from './validate.js';

/**
 * Checks one row is finite (RangeError naming row and column otherwise) and returns its max.
 * @internal
 */
export function rowMax(src: ArrayLike<number>, off: number, classes: number, name: string, row: number): number {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = src[off + c];
    if (v - v !== 0) throwNonFinite(name, row, c, v);
    if (v > max) max = v;
  }
  return max;
}

/**
 * Numerically stable softmax of one row of x / T, written to `dst`: e_c = exp((x_c - max x)/T)
 * (the max is subtracted before dividing, so no temperature, however small, overflows), then
 * normalised. Returns log(sum_c e_c). @internal
 */
export function softmaxRowInto(src: ArrayLike<number>, off: number, classes: number, temperature: number, dst: Float64Array, dstOff: number, name = 'logits', row = 0): number {
  const max = rowMax(src, off, classes, name, row);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const e = Math.exp((src[off + c] - max) / temperature);
    dst[dstOff + c] = e;
    sum += e;
  }
  const norm = 1 / sum;
  for (let c = 0; c < classes; c++) dst[dstOff + c] *= norm;
  return Math.log(sum);
}

/** Log-softmax of one row of x / T into `dst`: (x_c - max x)/T - log sum_k exp((x_k - max x)/T). @internal */
export function logSoftmaxRowInto(src: ArrayLike<number>, off: number, classes: number, temperature: number, dst: Float64Array, dstOff: number, name = 'logits', row = 0): void {
  const max = rowMax(src, off, classes, name, row);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const d = (src[off + c] - max) / temperature;
    dst[dstOff + c] = d;
    sum += Math.exp(d);
  }
  const lse = Math.log(sum);
  for (let c = 0; c < classes; c++) dst[dstOff + c] -= lse;
}

/**
 * Softmax of every row of logits / T, T a number or one value per row (length B).
 * Numerically stable (subtracts the row max), float64 accumulation. Returns a new Float64Array
 * of B x C probabilities, or fills `out` (a Float64Array of the same length) and returns it.
 */
export function softmax(logits: Logits, classes: number, temperature: TemperatureInput, out?: Float64Array): Float64Array {
  const rows = checkBatch('logits', logits, classes);
  const temps = resolveTemperature(temperature, rows);
  const dst = checkOut(out, logits.length);
  for (let b = 0; b < rows; b++) softmaxRowInto(logits, b * classes, classes, temps[b], dst, b * classes, 'logits', b);
  return dst;
}

/** Log-softmax of every row of logits / T (stable); same arguments and result shape as {@link softmax}. */
export function logSoftmax(logits: Logits, classes: number, temperature: TemperatureInput, out?: Float64Array): Float64Array {
  const rows = checkBatch('logits', logits, classes);
  const temps = resolveTemperature(temperature, rows);
  const dst = checkOut(out, logits.length);
  for (let b = 0; b < rows; b++) logSoftmaxRowInto(logits, b * classes, classes, temps[b], dst, b * classes, 'logits', b);
  return dst;
}
