import { throwNonFinite, type Logits } from './validate.js';
import { zscoreRowInto } from './zscore.js';

/**
 * Loads row `b` of a teacher/student pair into float64 scratch (`t`, `s`, length C): z-scored when
 * `standardize`, else copied (each value checked finite, the error naming the batch, row and column).
 * Returns max |t| and max |s| of the loaded rows in `maxAbs` ([teacher, student]). @internal
 */
export function loadRowPair(
  student: Logits, teacher: Logits, b: number, classes: number, standardize: boolean, eps: number,
  t: Float64Array, s: Float64Array, maxAbs: Float64Array,
): void {
  const off = b * classes;
  if (standardize) {
    maxAbs[0] = zscoreRowInto(teacher, off, classes, eps, t, 0, 'teacher', b);
    maxAbs[1] = zscoreRowInto(student, off, classes, eps, s, 0, 'student', b);
    return;
  }
  let mt = 0;
  let ms = 0;
  for (let c = 0; c < classes; c++) {
    const tv = teacher[off + c];
    if (tv - tv !== 0) throwNonFinite('teacher', b, c, tv);
  }
  for (let c = 0; c < classes; c++) {
    const tv = teacher[off + c];
    const sv = student[off + c];
    if (sv - sv !== 0) throwNonFinite('student', b, c, sv);
    t[c] = tv;
    s[c] = sv;
    const at = tv < 0 ? -tv : tv;
    const as = sv < 0 ? -sv : sv;
    if (at > mt) mt = at;
    if (as > ms) ms = as;
  }
  maxAbs[0] = mt;
  maxAbs[1] = ms;
}
