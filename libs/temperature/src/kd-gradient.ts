import { zscore, ZSCORE_EPS } from '@atkd/math';
import { checkStudent, type Logits } from './strategy.js';

/** Per-row KD loss and its derivative in the temperature. */
export interface KdTemperatureGradient {
  /** L_b = T_b^2 * KL(softmax(t_b/T_b) || softmax(s_b/T_b)), B values. */
  loss: Float64Array;
  /** dL_b/dT_b, B values. */
  gradient: Float64Array;
}

/**
 * The KD loss L(T) = T^2 KL(p || q), p = softmax(t/T), q = softmax(s/T), of every row and its
 * derivative in T, analytically (float64, no TensorFlow.js). With a = t/T, b = s/T:
 *
 *   d log p_c/dT = -(a_c - E_p[a]) / T,   d log q_c/dT = -(b_c - E_q[b]) / T
 *   dKL/dT = ( E_p[b] - E_q[b] - Cov_p(a, log p - log q) ) / T
 *   dL/dT  = 2 T KL + T^2 dKL/dT
 *
 * (the sum_c dp_c term vanishes because sum_c p_c = 1). `temperature` is one value or one per row.
 * With `standardize`, both rows are z-scored first (as logit standardization / the adaptive
 * strategies do); the z-score does not depend on T.
 */
export function kdLossTemperatureGradient(
  teacher: Logits,
  student: Logits,
  classes: number,
  temperature: number | ArrayLike<number>,
  options: { standardize?: boolean; eps?: number } = {},
): KdTemperatureGradient {
  const rows = checkStudent(teacher, student, classes);
  const temps = typeof temperature === 'number' ? new Float64Array(rows).fill(temperature) : Float64Array.from(temperature);
  if (temps.length !== rows) throw new RangeError(`temperature has ${temps.length} values for ${rows} rows`);
  for (let b = 0; b < rows; b++) {
    if (!(temps[b] > 0) || !Number.isFinite(temps[b])) throw new RangeError(`temperature[${b}] must be finite and > 0, got ${temps[b]}`);
  }
  const eps = options.eps ?? ZSCORE_EPS;
  const t: Logits = options.standardize ? zscore(teacher, classes, eps) : teacher;
  const s: Logits = options.standardize ? zscore(student, classes, eps) : student;
  const loss = new Float64Array(rows);
  const gradient = new Float64Array(rows);
  const logP = new Float64Array(classes);
  const logQ = new Float64Array(classes);
  const pr = new Float64Array(classes);
  const qr = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const T = temps[r];
    const off = r * classes;
    logSoftmaxRow(t, off, classes, T, logP, pr);
    logSoftmaxRow(s, off, classes, T, logQ, qr);
    let kl = 0;
    let ea = 0; // E_p[a]
    let epb = 0; // E_p[b]
    let eqb = 0; // E_q[b]
    for (let c = 0; c < classes; c++) {
      const p = pr[c];
      const a = t[off + c] / T;
      const b = s[off + c] / T;
      if (p > 0) kl += p * (logP[c] - logQ[c]);
      ea += p * a;
      epb += p * b;
      eqb += qr[c] * b;
    }
    let cov = 0; // Cov_p(a, log p - log q) = E_p[(a - E_p a)(log p - log q)]
    for (let c = 0; c < classes; c++) {
      const p = pr[c];
      if (p > 0) cov += p * (t[off + c] / T - ea) * (logP[c] - logQ[c]);
    }
    const dKL = (epb - eqb - cov) / T;
    loss[r] = T * T * kl;
    gradient[r] = 2 * T * kl + T * T * dKL;
  }
  return { loss, gradient };
}

/** Stable log-softmax of one row of src / T into `logDst`, and the probabilities into `probDst`. */
function logSoftmaxRow(src: Logits, off: number, classes: number, T: number, logDst: Float64Array, probDst: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = src[off + c] / T;
    if (v > max) max = v;
  }
  if (!Number.isFinite(max)) throw new RangeError(`logits / temperature (${T}) are not finite`);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const e = Math.exp(src[off + c] / T - max);
    probDst[c] = e;
    sum += e;
  }
  const lse = Math.log(sum) + max;
  const inv = 1 / sum;
  for (let c = 0; c < classes; c++) {
    logDst[c] = src[off + c] / T - lse;
    probDst[c] *= inv;
  }
}
