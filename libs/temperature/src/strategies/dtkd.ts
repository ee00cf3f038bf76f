import { resolveOptions } from '../options.js';
import { checkStudent, rowsOf, toTemperatures, type FinishedTemperature, type Logits, type StrategyDefinition, type TemperatureStrategy } from '../strategy.js';
import { staticTemperatures } from './static.js';

const OPTIONS = {
  temperature: { type: 'number', default: 4, above: 0, description: 'the reference temperature tau (DTKD: cfg.DTKD.T = 4 on CIFAR-100)' },
} as const;

function rowMax(x: Logits, off: number, classes: number): number {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) if (x[off + c] > m) m = x[off + c];
  return m;
}

/**
 * DTKD's sample-wise temperatures (Wei & Bai 2024, "Dynamic Temperature Knowledge Distillation"),
 * from the raw max logits t_max, s_max of each row and the reference temperature tau:
 *   T_teacher = 2 t_max / (t_max + s_max) * tau,   T_student = 2 s_max / (t_max + s_max) * tau,
 * so the sharper model gets the higher temperature and T_teacher + T_student = 2 tau. The KL term is
 * weighted by T_teacher * T_student. The formula needs t_max > 0 and s_max > 0 (both temperatures
 * positive); a row where either max logit is <= 0 uses tau for both (stated, not silent: counted in
 * `fallbackRows`).
 */
export function dtkdTemperatures(teacher: Logits, student: Logits, classes: number, temperature = 4): FinishedTemperature & { fallbackRows: number } {
  const rows = checkStudent(teacher, student, classes);
  const tt = new Float64Array(rows);
  const ts = new Float64Array(rows);
  let fallbackRows = 0;
  for (let b = 0; b < rows; b++) {
    const tm = rowMax(teacher, b * classes, classes);
    const sm = rowMax(student, b * classes, classes);
    if (!Number.isFinite(tm) || !Number.isFinite(sm)) throw new RangeError(`dtkd: row ${b} has non-finite logits`);
    if (tm > 0 && sm > 0) {
      tt[b] = ((2 * tm) / (tm + sm)) * temperature;
      ts[b] = ((2 * sm) / (tm + sm)) * temperature;
    } else {
      tt[b] = temperature;
      ts[b] = temperature;
      fallbackRows++;
    }
  }
  const teacherT = toTemperatures('dtkd', tt);
  const studentT = toTemperatures('dtkd', ts);
  const lossScale = new Float32Array(rows);
  for (let b = 0; b < rows; b++) lossScale[b] = teacherT[b] * studentT[b];
  return { teacher: teacherT, student: studentT, lossScale, fallbackRows };
}

/**
 * `dtkd`: needs the student (both temperatures depend on both max logits). Without the student's
 * logits the provisional teacher and student temperatures are the reference tau; the student stage
 * calls `finish(teacher, student)` for {@link dtkdTemperatures}. Writes `temperature` (teacher) and
 * `student_temperature` columns. Raw logits (no z-score).
 */
export const dtkdStrategy: StrategyDefinition = {
  name: 'dtkd',
  description: 'Wei & Bai 2024: sample-wise teacher/student temperatures 2*max/(t_max+s_max)*tau (needs the student; finished by the student stage)',
  needsStudent: true,
  standardizes: false,
  learnable: false,
  options: OPTIONS,
  create(input = {}): TemperatureStrategy {
    const options = resolveOptions('dtkd', OPTIONS, input);
    return {
      name: 'dtkd',
      needsStudent: true,
      standardizes: false,
      eps: 1e-7,
      options,
      compute(teacher: Logits, classes: number, student?: Logits): Float32Array {
        if (student === undefined) return staticTemperatures(rowsOf('teacher', teacher, classes), options.temperature);
        return dtkdTemperatures(teacher, student, classes, options.temperature).teacher;
      },
      computeStudent(teacher: Logits, classes: number, student?: Logits): Float32Array {
        if (student === undefined) return staticTemperatures(rowsOf('teacher', teacher, classes), options.temperature);
        return dtkdTemperatures(teacher, student, classes, options.temperature).student;
      },
      finish(teacher: Logits, student: Logits, classes: number): FinishedTemperature {
        const { teacher: t, student: s, lossScale } = dtkdTemperatures(teacher, student, classes, options.temperature);
        return { teacher: t, student: s, lossScale };
      },
    };
  },
};
