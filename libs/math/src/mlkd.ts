import { kdLoss } from './kd-loss.js';
import { softmaxRowInto } from './softmax.js';
import { adaptiveMode, maxLogitTemperature, type AdaptiveTemperature } from './temperature.js';
import { checkBatch, checkEps, checkPair, resolveTemperature, type Logits, type TemperatureInput } from './validate.js';
import { ZSCORE_EPS, zscore } from './zscore.js';

/**
 * The temperatures of MLKD after the first (Jin et al., CVPR 2023, as in the authors' `mlkd.py`):
 * every term is summed over [T0, 3, 5, 2, 6], T0 being the base (or the adaptive) temperature.
 */
export const MLKD_EXTRA_TEMPERATURES: readonly number[] = Object.freeze([3, 5, 2, 6]);

/**
 * Index (into [T0, ...extra]) from which the authors' strong-view instance term is computed on the
 * *weak* view: its T = 2 and T = 6 terms read the weak logits (a quirk of the code, matched).
 */
export const MLKD_STRONG_FROM_WEAK_INDEX = 3;

/** Probabilities softmax(row / T_b) of every row, B x C. */
function probabilities(logits: Logits, classes: number, temps: Float64Array): Float64Array {
  const rows = logits.length / classes;
  const p = new Float64Array(logits.length);
  for (let b = 0; b < rows; b++) softmaxRowInto(logits, b * classes, classes, temps[b], p, b * classes, 'logits', b);
  return p;
}

/**
 * MLKD's class-level term (`cc_loss`): with P = softmax(logits / T) (B x C, per-row T), the C x C
 * matrices P^T P of student and teacher; sum of their squared differences / C. The logits are used
 * as given (z-score them first for the standardized variant). No T^2 factor (as in the code).
 */
export function classConsistencyLoss(student: Logits, teacher: Logits, classes: number, temperature: TemperatureInput): number {
  const rows = checkPair('student', student, 'teacher', teacher, classes);
  const temps = resolveTemperature(temperature, rows);
  const ps = probabilities(student, classes, temps);
  const pt = probabilities(teacher, classes, temps);
  let sum = 0;
  for (let i = 0; i < classes; i++) {
    for (let j = 0; j < classes; j++) {
      let gs = 0;
      let gt = 0;
      for (let b = 0; b < rows; b++) {
        const o = b * classes;
        gs += ps[o + i] * ps[o + j];
        gt += pt[o + i] * pt[o + j];
      }
      const d = gt - gs;
      sum += d * d;
    }
  }
  return sum / classes;
}

/**
 * MLKD's batch-level term (`bc_loss`): the B x B matrices P P^T of student and teacher (P as in
 * {@link classConsistencyLoss}); sum of their squared differences / B. No T^2 factor.
 */
export function batchConsistencyLoss(student: Logits, teacher: Logits, classes: number, temperature: TemperatureInput): number {
  const rows = checkPair('student', student, 'teacher', teacher, classes);
  if (rows === 0) throw new RangeError('batchConsistencyLoss of an empty batch (0 rows) is undefined');
  const temps = resolveTemperature(temperature, rows);
  const ps = probabilities(student, classes, temps);
  const pt = probabilities(teacher, classes, temps);
  let sum = 0;
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < rows; b++) {
      let gs = 0;
      let gt = 0;
      for (let c = 0; c < classes; c++) {
        gs += ps[a * classes + c] * ps[b * classes + c];
        gt += pt[a * classes + c] * pt[b * classes + c];
      }
      const d = gt - gs;
      sum += d * d;
    }
  }
  return sum / rows;
}

/** numpy.percentile(values, 50) (linear interpolation: the median; mean of the middle two when even). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('median of no values is undefined');
  const v = Float64Array.from(values).sort();
  const h = (v.length - 1) / 2;
  const lo = Math.floor(h);
  return v[lo] + (h - lo) * (v[Math.ceil(h)] - v[lo]);
}

/** MLKD's confidence masks (1 = kept), from the teacher's weak-view softmax at T = 1. */
export interface MlkdMasks {
  /** Per row: max_c p_bc <= its median over the batch (the less confident half). */
  instance: Uint8Array;
  /** Per class: sum_b p_bc <= its median over the classes. */
  classes: Uint8Array;
  instanceThreshold: number;
  classThreshold: number;
  /** Shares of ones: what the code's `(scalar * mask).mean()` multiplies a term by. */
  instanceShare: number;
  classShare: number;
}

/**
 * The confidence masks of MLKD: p = softmax(teacher) (T = 1, of the logits as given: the authors'
 * code passes the z-scored teacher when standardizing), row confidence max_c p, class confidence
 * sum_b p; each mask keeps the values <= the median (`le`, `np.percentile(., 50)`).
 */
export function mlkdMasks(teacher: Logits, classes: number): MlkdMasks {
  const rows = checkBatch('teacher', teacher, classes);
  if (rows === 0) throw new RangeError('mlkdMasks of an empty batch (0 rows) is undefined');
  const p = probabilities(teacher, classes, new Float64Array(rows).fill(1));
  const conf = new Float64Array(rows);
  const classConf = new Float64Array(classes);
  for (let b = 0; b < rows; b++) {
    let m = 0;
    for (let c = 0; c < classes; c++) {
      const v = p[b * classes + c];
      if (v > m) m = v;
      classConf[c] += v;
    }
    conf[b] = m;
  }
  const instanceThreshold = median(conf);
  const classThreshold = median(classConf);
  const instance = conf.reduce((acc, v, i) => ((acc[i] = v <= instanceThreshold ? 1 : 0), acc), new Uint8Array(rows));
  const classMask = classConf.reduce((acc, v, i) => ((acc[i] = v <= classThreshold ? 1 : 0), acc), new Uint8Array(classes));
  const share = (m: Uint8Array) => m.reduce((a, v) => a + v, 0) / m.length;
  return { instance, classes: classMask, instanceThreshold, classThreshold, instanceShare: share(instance), classShare: share(classMask) };
}

/** The student's and the teacher's logits of one view (B x C each). */
export interface MlkdView {
  student: Logits;
  teacher: Logits;
}

/** Options of {@link mlkdLoss}. */
export interface MlkdLossOptions {
  /** The first temperature T0: a number (MLKD: 4; with standardization 2) or an adaptive name. Default `'adaptive'` (paired). */
  temperature?: number | AdaptiveTemperature;
  /** The other temperatures (default [3, 5, 2, 6]). */
  extraTemperatures?: readonly number[];
  /** Z-score every logit row first (default true). */
  standardize?: boolean;
  eps?: number;
}

/** The parts of the MLKD distillation loss (before its weight beta; cross-entropy is not included). */
export interface MlkdLoss {
  /** Instance level on the weak view: instanceShare * sum_k KD(weak, T_k). */
  kdWeak: number;
  /** Instance level "strong": KD(strong, T_k) for the first three T, KD(weak, T_k) for the last two (the code's quirk). */
  kdStrong: number;
  /** Class level: classShare * sum_k CC(weak, T_k). */
  cc: number;
  /** Batch level: instanceShare * sum_k BC(weak, T_k). */
  bc: number;
  /** kdWeak + kdStrong + cc + bc: the code's `sum(losses_dict.values())`. */
  total: number;
  masks: MlkdMasks;
  /** Per-row T0 of the weak and of the strong view. */
  temperatureWeak: Float64Array;
  temperatureStrong: Float64Array;
}

/**
 * The MLKD distillation loss of the authors' code (`distiller_zoo/mlkd.py`; Multi-Level Logit
 * Distillation, Jin et al. 2023) on a weak and a strong view of the same images, matching its quirks:
 *
 * - the instance-level `kd_loss` is already reduced to a batch mean before the mask is applied, so
 *   `(kd * mask).mean()` scales the term by the mask's *share* instead of selecting rows (likewise the
 *   class- and batch-level terms);
 * - the "strong" instance term computes its T = 2 and T = 6 parts on the weak view;
 * - the strong-view class- and batch-level terms are computed by the code but never used: they are
 *   not part of `total` (not computed here);
 * - the confidence masks come from softmax of the (z-scored, when standardizing) weak teacher logits.
 *
 * T0 is per row and per view when adaptive (`'adaptive'` = paired over that view's student and
 * teacher rows), else the number; the other temperatures are fixed. Float64 throughout.
 */
export function mlkdLoss(weak: MlkdView, strong: MlkdView, classes: number, options: MlkdLossOptions = {}): MlkdLoss {
  const rows = checkPair('weak.student', weak.student, 'weak.teacher', weak.teacher, classes);
  const strongRows = checkPair('strong.student', strong.student, 'strong.teacher', strong.teacher, classes);
  if (strongRows !== rows) throw new RangeError(`the weak view has ${rows} rows but the strong view has ${strongRows}; they must match`);
  if (rows === 0) throw new RangeError('mlkdLoss of an empty batch (0 rows) is undefined');
  const { temperature = 'adaptive', extraTemperatures = MLKD_EXTRA_TEMPERATURES, standardize = true, eps = ZSCORE_EPS } = options;
  checkEps(eps);
  const prep = (x: Logits): Logits => (standardize ? zscore(x, classes, eps) : x);
  const ws = prep(weak.student);
  const wt = prep(weak.teacher);
  const ss = prep(strong.student);
  const st = prep(strong.teacher);
  const mode = adaptiveMode(temperature);
  const t0 = (s: Logits, t: Logits): Float64Array =>
    mode === undefined ? resolveTemperature(temperature, rows) : maxLogitTemperature(t, classes, { standardize: false, ...(mode === 'paired' ? { student: s } : {}) });
  const temperatureWeak = t0(ws, wt);
  const temperatureStrong = t0(ss, st);
  const extras = extraTemperatures.map((v, i) => resolveTemperature(v, 1, `extraTemperatures[${i}]`)[0]);
  const masks = mlkdMasks(wt, classes);
  const kd = (s: Logits, t: Logits, T: TemperatureInput) => kdLoss(s, t, classes, { temperature: T, standardize: false });
  let kdWeak = kd(ws, wt, temperatureWeak);
  let kdStrong = kd(ss, st, temperatureStrong);
  let cc = classConsistencyLoss(ws, wt, classes, temperatureWeak);
  let bc = batchConsistencyLoss(ws, wt, classes, temperatureWeak);
  extras.forEach((T, i) => {
    kdWeak += kd(ws, wt, T);
    kdStrong += i + 1 >= MLKD_STRONG_FROM_WEAK_INDEX ? kd(ws, wt, T) : kd(ss, st, T);
    cc += classConsistencyLoss(ws, wt, classes, T);
    bc += batchConsistencyLoss(ws, wt, classes, T);
  });
  kdWeak *= masks.instanceShare;
  cc *= masks.classShare;
  bc *= masks.instanceShare;
  return { kdWeak, kdStrong, cc, bc, total: kdWeak + kdStrong + cc + bc, masks, temperatureWeak, temperatureStrong };
}
