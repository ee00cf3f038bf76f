// Shared generators and the seeded property runner of the math property suite.
import fc from 'fast-check';

/** Runs per property (the issue asks for at least 200). */
export const NUM_RUNS = 200;

/**
 * Asserts a property with a fixed seed (override with ATKD_MATH_SEED to explore). On failure the
 * error message starts with the property name and the seed, followed by fast-check's report
 * (which repeats seed and shrink path, so `{ seed, path }` reproduces the counterexample).
 */
export function check<Ts extends [unknown, ...unknown[]]>(name: string, seed: number, property: fc.IProperty<Ts>, numRuns = NUM_RUNS): void {
  const envSeed = process.env.ATKD_MATH_SEED;
  const used = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : seed;
  try {
    fc.assert(property, { seed: used, numRuns });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`property "${name}" failed (seed ${used}, ${numRuns} runs):\n${message}`, { cause: error });
  }
}

/** A batch of B x C logits plus its shape. */
export interface Batch {
  rows: number;
  classes: number;
  data: Float64Array;
}

export interface BatchOptions {
  minClasses?: number;
  maxClasses?: number;
  maxRows?: number;
  /** Allow rows whose logits are all equal (degenerate). */
  degenerate?: boolean;
}

/**
 * Row-major logits with a varied scale and offset per batch: values offset + scale * u, u in [-1, 1],
 * scale in {1e-3, 0.1, 1, 10, 100}; optionally some rows made constant (degenerate).
 */
export function batchArb(options: BatchOptions = {}): fc.Arbitrary<Batch> {
  const { minClasses = 2, maxClasses = 48, maxRows = 4, degenerate = false } = options;
  return fc
    .record({ rows: fc.integer({ min: 1, max: maxRows }), classes: fc.integer({ min: minClasses, max: maxClasses }) })
    .chain(({ rows, classes }) =>
      fc.record({
        rows: fc.constant(rows),
        classes: fc.constant(classes),
        u: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: rows * classes, maxLength: rows * classes }),
        scale: fc.constantFrom(1e-3, 0.1, 1, 10, 100),
        offset: fc.double({ min: -50, max: 50, noNaN: true }),
        flat: degenerate ? fc.array(fc.boolean(), { minLength: rows, maxLength: rows }) : fc.constant([] as boolean[]),
      }),
    )
    .map(({ rows, classes, u, scale, offset, flat }) => {
      const data = new Float64Array(rows * classes);
      for (let i = 0; i < data.length; i++) data[i] = offset + scale * u[i];
      flat.forEach((f, b) => {
        if (f) data.fill(offset, b * classes, (b + 1) * classes);
      });
      return { rows, classes, data };
    });
}

/** Two batches of the same shape: teacher, and a student = alpha * teacher + noise (alpha may be 0 or negative). */
export function pairArb(options: BatchOptions = {}): fc.Arbitrary<{ rows: number; classes: number; teacher: Float64Array; student: Float64Array }> {
  return batchArb(options).chain((t) =>
    fc
      .record({
        alpha: fc.double({ min: -2, max: 2, noNaN: true }),
        noise: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: t.data.length, maxLength: t.data.length }),
        noiseScale: fc.constantFrom(0, 1e-2, 1, 10),
      })
      .map(({ alpha, noise, noiseScale }) => {
        const student = new Float64Array(t.data.length);
        for (let i = 0; i < student.length; i++) student[i] = alpha * t.data[i] + noiseScale * noise[i];
        return { rows: t.rows, classes: t.classes, teacher: t.data, student };
      }),
  );
}

/** Sample standard deviation (n-1) of row b. */
export function rowStd(data: ArrayLike<number>, classes: number, b: number): number {
  let m = 0;
  for (let c = 0; c < classes; c++) m += data[b * classes + c];
  m /= classes;
  let s = 0;
  for (let c = 0; c < classes; c++) s += (data[b * classes + c] - m) ** 2;
  return Math.sqrt(s / (classes - 1));
}

/** Relative closeness |a - b| <= rel * max(|a|, |b|) + abs. */
export function close(a: number, b: number, rel: number, abs = 0): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + abs;
}

/** True when every logit of row b is the same number (a degenerate row). */
export function isConstantRow(data: ArrayLike<number>, classes: number, b: number): boolean {
  for (let c = 1; c < classes; c++) if (data[b * classes + c] !== data[b * classes]) return false;
  return true;
}

/**
 * A cheap assertion for the inner loops of properties (vitest's expect costs microseconds per
 * call): throws an Error with the message when the condition is false.
 */
export function must(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}
