import { checkBatch, checkFiniteRow, checkOut, resolveTemperature, throwNonFinite, type Logits, type TemperatureInput } from './validate.js';

/** Largest accepted Taylor order (the series is evaluated by Horner's rule: order multiply-adds per logit). */
export const MAX_TAYLOR_ORDER = 1000;

function checkOrder(order: unknown): number {
  if (typeof order !== 'number' || !Number.isInteger(order) || order < 0 || order > MAX_TAYLOR_ORDER) {
    throw new RangeError(`order must be an integer in [0, ${MAX_TAYLOR_ORDER}], got ${String(order)}`);
  }
  return order;
}

/** P_n(x) = sum_{k<=n} x^k / k! by Horner's rule. @internal */
export function expSeries(x: number, order: number): number {
  let acc = 1;
  for (let k = order; k >= 1; k--) acc = 1 + (acc * x) / k;
  return acc;
}

/** |x|^(n+1) / (n+1)! computed as a running product (no factorial overflow). */
function powOverFactorial(ax: number, n1: number): number {
  let p = 1;
  for (let k = 1; k <= n1; k++) p *= ax / k;
  return p;
}

/**
 * Lagrange bound on the truncation error of the exponential series:
 * |exp(x) - sum_{k<=order} x^k/k!| <= exp(max(x, 0)) * |x|^(order+1) / (order+1)!.
 * (The remainder is exp(xi) x^(n+1)/(n+1)! for some xi between 0 and x.)
 */
export function taylorRemainderBound(x: number, order: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`x must be a finite number, got ${String(x)}`);
  checkOrder(order);
  return Math.exp(x > 0 ? x : 0) * powOverFactorial(x < 0 ? -x : x, order + 1);
}

/**
 * Taylor-approximated soft targets: for x = logits / T (T a number or one value per row),
 * q_c = P_n(x_c) / sum_k P_n(x_k) with P_n(x) = sum_{k<=order} x^k/k! (the exp series truncated
 * at `order`). Returns a new Float64Array of B x C (or fills `out`).
 *
 * No max is subtracted: the series is expanded around x = 0, which is what the approximation
 * means. P_n(x) > 0 for every order when |x| < 1, in particular inside the radius
 * |x| <= sqrt(3) - 1 that the max-logit temperature guarantees (README, "Taylor soft targets").
 * Outside it an odd-order series can be negative; then this throws a RangeError naming the
 * row and column rather than returning something that is not a distribution.
 */
export function taylorSoftmax(
  logits: Logits,
  classes: number,
  temperature: TemperatureInput,
  order: number,
  out?: Float64Array,
): Float64Array {
  const rows = checkBatch('logits', logits, classes);
  const temps = resolveTemperature(temperature, rows);
  checkOrder(order);
  const dst = checkOut(out, logits.length);
  for (let b = 0; b < rows; b++) {
    const off = b * classes;
    const T = temps[b];
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = logits[off + c];
      if (v - v !== 0) throwNonFinite('logits', b, c, v);
      const x = v / T;
      let acc = 1;
      for (let k = order; k >= 1; k--) acc = 1 + (acc * x) / k;
      if (!(acc >= 0) || acc === Infinity) {
        throw new RangeError(
          `taylorSoftmax: the order-${order} exp series is ${acc} at logits[row ${b}, column ${c}] (x = logit/T = ${x}); ` +
            `it is a distribution only where the series is positive and finite, e.g. |x| < 1 (the max-logit temperature gives |x| <= sqrt(3) - 1)`,
        );
      }
      dst[off + c] = acc;
      sum += acc;
    }
    if (!(sum > 0) || !Number.isFinite(sum)) {
      throw new RangeError(`taylorSoftmax: the order-${order} series sums to ${sum} on row ${b}; cannot normalise`);
    }
    const norm = 1 / sum;
    for (let c = 0; c < classes; c++) dst[off + c] *= norm;
  }
  return dst;
}

/**
 * Per-row guaranteed bound on the L1 error sum_c |q_c - p_c| between the Taylor soft targets q
 * ({@link taylorSoftmax}) and the exact softmax p of logits / T (hence also on every |q_c - p_c|):
 *   sum_c |q_c - p_c| <= 2 R / Q,  R = sum_c taylorRemainderBound(x_c, order),  Q = sum_c P_n(x_c).
 * Derivation in the README ("Error bound"). The bound holds whenever Q > 0 (every P_n(x_c) >= 0);
 * rows with Q <= 0 get Infinity.
 */
export function taylorSoftmaxErrorBound(logits: Logits, classes: number, temperature: TemperatureInput, order: number): Float64Array {
  const rows = checkBatch('logits', logits, classes);
  const temps = resolveTemperature(temperature, rows);
  checkOrder(order);
  const out = new Float64Array(rows);
  for (let b = 0; b < rows; b++) {
    checkFiniteRow('logits', logits, classes, b);
    const off = b * classes;
    const T = temps[b];
    let q = 0;
    let r = 0;
    for (let c = 0; c < classes; c++) {
      const x = logits[off + c] / T;
      q += expSeries(x, order);
      r += Math.exp(x > 0 ? x : 0) * powOverFactorial(x < 0 ? -x : x, order + 1);
    }
    out[b] = q > 0 ? (2 * r) / q : Infinity;
  }
  return out;
}
