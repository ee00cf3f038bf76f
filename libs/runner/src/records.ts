/**
 * The records a run produces: one {@link StepRecord} per step and one {@link EpochRecord} per epoch
 * (the lines of a run directory's `metrics.jsonl`), and the sums behind an epoch record.
 */

/** One step: its position, loss parts, temperatures and accuracy. */
export interface StepRecord {
  type: 'step';
  epoch: number;
  /** Batch index within the epoch. */
  index: number;
  /** Step counter over the whole run. */
  step: number;
  size: number;
  lr: number;
  loss: number;
  ce: number;
  kd?: number;
  t_min?: number;
  t_mean?: number;
  t_max?: number;
  rho?: number;
  /** The distillation loss's named terms (e.g. DKD's `tckd`, `nckd`; MLKD's `kdWeak`, `cc`, ...). */
  terms?: Record<string, number>;
  /** Rows of the step outside the convergence radius at the temperature used. */
  outside?: number;
  acc: number;
  img_s: number;
}

/** One epoch: training means, test accuracy, temperatures and their histogram. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Steps done in the run at the end of this epoch. */
  step: number;
  lr: number;
  train_loss: number;
  train_ce: number;
  train_kd?: number;
  train_rho?: number;
  train_acc: number;
  t_min?: number;
  t_mean?: number;
  t_max?: number;
  /** Means over the epoch's rows of the distillation loss's named terms (distill with a loss that has terms). */
  train_terms?: Record<string, number>;
  /** Share of the epoch's rows outside the convergence radius (some |t'| / T > sqrt(3) - 1) at the temperature used. */
  outside_radius?: number;
  /** Histogram of every sample's temperature in this epoch: bin edges (counts.length + 1) and counts. */
  t_hist?: { edges: number[]; counts: number[] };
  test_top1: number;
  test_top5: number;
  test_loss: number;
  img_s: number;
  seconds: number;
}

export type MetricRecord = StepRecord | EpochRecord;

/** Sums over the steps of an epoch. */
export interface EpochAccumulator {
  images: number;
  loss: number;
  ce: number;
  kd: number;
  rho: number;
  correct: number;
  tMin: number;
  tMax: number;
  tSum: number;
  seconds: number;
  /** Size-weighted sums of the loss's terms. */
  terms?: Record<string, number>;
  /** Rows outside the convergence radius. */
  outside?: number;
}

export function newEpochAccumulator(): EpochAccumulator {
  return { images: 0, loss: 0, ce: 0, kd: 0, rho: 0, correct: 0, tMin: Infinity, tMax: -Infinity, tSum: 0, seconds: 0 };
}

/** Adds one step to the sums of its epoch. */
export function accumulate(acc: EpochAccumulator, rec: StepRecord, seconds: number): void {
  acc.images += rec.size;
  acc.loss += rec.loss * rec.size;
  acc.ce += rec.ce * rec.size;
  acc.kd += (rec.kd ?? 0) * rec.size;
  acc.rho += (rec.rho ?? 0) * rec.size;
  acc.correct += rec.acc * rec.size;
  if (rec.t_mean !== undefined) {
    acc.tMin = Math.min(acc.tMin, rec.t_min as number);
    acc.tMax = Math.max(acc.tMax, rec.t_max as number);
    acc.tSum += rec.t_mean * rec.size;
  }
  acc.seconds += seconds;
  if (rec.terms !== undefined) {
    const sums = (acc.terms ??= {});
    for (const [k, v] of Object.entries(rec.terms)) sums[k] = (sums[k] ?? 0) + v * rec.size;
  }
  if (rec.outside !== undefined) acc.outside = (acc.outside ?? 0) + rec.outside;
}

/** A histogram of `values` over `bins` equal bins from their min to their max. */
export function histogram(values: ArrayLike<number>, bins = 40): { edges: number[]; counts: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) hi = lo + 1e-6;
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor((values[i] - lo) / w))] += 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * w);
  return { edges, counts };
}
