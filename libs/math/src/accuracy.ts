/**
 * Top-k accuracy that a tie or a NaN cannot inflate: a row counts as correct only when its true
 * class is strictly inside the top k, every tie broken against the true class.
 */
import { checkClasses, throwNonFinite } from './validate.js';

/**
 * Number of rows of the row-major `logits` (rows x classes) whose label is strictly inside the top
 * `k`: fewer than `k` other classes score higher than *or equal to* the label's logit (ties are
 * broken against the true class, so a row of equal logits is correct only if k >= classes).
 *
 * Throws a `RangeError` naming the row and column of a NaN or infinite logit (`name` names the
 * logits in the message), and naming the row of a label that is not an integer in 0..classes-1.
 */
export function topKCorrect(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, k: number, name = 'logits'): number {
  checkClasses(classes);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer >= 1, got ${String(k)}`);
  const rows = labels.length;
  if (logits.length !== rows * classes) throw new RangeError(`${name} hold ${logits.length} values, expected ${rows} rows x ${classes} classes`);
  let correct = 0;
  for (let b = 0; b < rows; b++) {
    const label = labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`label of row ${b} is ${String(label)}: labels must be integers in 0..${classes - 1}`);
    }
    const off = b * classes;
    for (let c = 0; c < classes; c++) {
      const v = logits[off + c];
      if (v - v !== 0) throwNonFinite(name, b, c, v);
    }
    const own = logits[off + label];
    let atLeast = 0;
    for (let c = 0; c < classes; c++) if (c !== label && logits[off + c] >= own) atLeast += 1;
    if (atLeast < k) correct += 1;
  }
  return correct;
}
