import type { OptionSpecs } from './options.js';

/** Row-major B x C logits. */
export type Logits = Float32Array | Float64Array;

/** Where training is, for strategies with a schedule (CTKD's curriculum). */
export interface TemperatureContext {
  /** 1-based epoch, as in the CTKD code (default 1). */
  epoch?: number;
  /** The student's current learning rate (CTKD trains its temperature with the student's optimiser schedule). */
  learningRate?: number;
}

/**
 * A distillation temperature strategy: per-sample temperatures from the teacher's logits (and, for
 * some, the student's).
 *
 * `compute(teacher, classes, student?)` returns one temperature per row (the `temperature` column:
 * the temperature of the teacher's soft targets, and of the student's log-softmax unless the strategy
 * has a separate student temperature). Strategies with `needsStudent` cannot be final without the
 * student's logits: called without `student`, `compute` returns a documented *provisional* value and
 * the stage marks the batch pending (`atkd.temperature.pending = "student"`); the student stage then
 * calls `finish(teacher, student, classes)` for the final one.
 */
export interface TemperatureStrategy {
  /** Registry name, e.g. `adaptive`. */
  readonly name: string;
  /** True when the final temperature needs the student's logits (`adaptive`, `adaptive-paired`, `dtkd`). */
  readonly needsStudent: boolean;
  /** True when the strategy works on z-scored logits: soft targets and KD loss must z-score too. */
  readonly standardizes: boolean;
  /** Epsilon of that z-score (1e-7 unless set). */
  readonly eps: number;
  /** The resolved options (numbers / booleans), recorded in the stream's metadata. */
  readonly options: Readonly<Record<string, number | boolean>>;
  /**
   * True for a learnable strategy ({@link LearnableTemperatureStrategy}: `ctkd`), which the student
   * stage trains; the temperature stage records it in the stream (`atkd.temperature.learnable`), so a
   * later stage knows without looking the name up in the registry. Absent or false otherwise.
   */
  readonly learnable?: boolean;
  /** One temperature per row (B values, each finite and > 0). Provisional without `student` if `needsStudent`. */
  compute(teacher: Logits, classes: number, student?: Logits, context?: TemperatureContext): Float32Array;
  /**
   * Only strategies with a separate student temperature (`dtkd`): the per-row temperature of the
   * student's log-softmax (the `student_temperature` column). Provisional without `student`.
   */
  computeStudent?(teacher: Logits, classes: number, student?: Logits, context?: TemperatureContext): Float32Array;
  /** `needsStudent` strategies: the final temperatures once the student's logits are known. */
  finish?(teacher: Logits, student: Logits, classes: number, context?: TemperatureContext): FinishedTemperature;
}

/** Final temperatures of a `needsStudent` strategy. */
export interface FinishedTemperature {
  /** Per-row temperature of the teacher's soft targets. */
  teacher: Float32Array;
  /** Per-row temperature of the student's log-softmax (same array as `teacher` when shared). */
  student: Float32Array;
  /** Per-row weight of the KL term (T^2 for a shared T; DTKD: T_teacher * T_student). */
  lossScale: Float32Array;
}

/** One learnable-temperature update (see `LearnableTemperatureStrategy.learn`). */
export interface LearnStep {
  /** The temperature the batch was distilled at. */
  temperature: number;
  /** d(mean_b T^2 KL_b)/dT at that temperature. */
  lossGradient: number;
  /** The reversal weight lambda used (CTKD: <= 0, so the parameter ascends the KD loss). */
  lambda: number;
  /** The gradient applied to the raw parameter (including weight decay). */
  parameterGradient: number;
  /** The temperature after the update. */
  nextTemperature: number;
}

/**
 * A strategy with a learnable temperature (`ctkd`): `compute` uses the current parameter; after the
 * student's forward pass the student stage calls `learn` to update it from the batch's KD loss.
 */
export interface LearnableTemperatureStrategy extends TemperatureStrategy {
  readonly learnable: true;
  /** Updates the parameter from one batch (teacher and student logits) and returns what it did. */
  learn(teacher: Logits, student: Logits, classes: number, context?: TemperatureContext): LearnStep;
  /** The current temperature. */
  current(): number;
  /** Serialisable state (parameter and optimiser buffer), for checkpoints. */
  getState(): Record<string, number>;
  setState(state: Record<string, number>): void;
}

/** True when the strategy is learnable (its `learnable` property: it has `learn`, `current`, state). */
export function isLearnable(strategy: TemperatureStrategy): strategy is LearnableTemperatureStrategy {
  return (strategy as Partial<LearnableTemperatureStrategy>).learnable === true;
}

/** A registry entry: how to build a strategy and what it is. */
export interface StrategyDefinition {
  name: string;
  /** One line: what it is and where it comes from. */
  description: string;
  needsStudent: boolean;
  /** Whether it standardizes with its default options. */
  standardizes: boolean;
  learnable: boolean;
  options: OptionSpecs;
  create(options?: Readonly<Record<string, unknown>>): TemperatureStrategy;
}

/** Checks classes and the shape of the logits; returns the number of rows. @internal */
export function rowsOf(name: string, logits: unknown, classes: number): number {
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`classes must be an integer >= 2, got ${String(classes)}`);
  }
  if (!(logits instanceof Float32Array) && !(logits instanceof Float64Array)) {
    throw new TypeError(`${name} logits must be a Float32Array or Float64Array (row-major B x C)`);
  }
  if (logits.length % classes !== 0) throw new RangeError(`${name} logits length (${logits.length}) is not divisible by classes (${classes})`);
  return logits.length / classes;
}

/** Checks that the student logits have the teacher's shape. @internal */
export function checkStudent(teacher: Logits, student: Logits, classes: number): number {
  const rows = rowsOf('teacher', teacher, classes);
  const s = rowsOf('student', student, classes);
  if (s !== rows) throw new RangeError(`student logits have ${s} rows but teacher logits have ${rows}`);
  return rows;
}

/** Float64 -> Float32 per-row temperatures, checking each is finite and > 0 after rounding. @internal */
export function toTemperatures(name: string, values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const t = Math.fround(values[i]);
    if (!(t > 0) || !Number.isFinite(t)) {
      throw new RangeError(`strategy "${name}": temperature of row ${i} is ${values[i]} (as float32 ${t}); it must be finite and > 0`);
    }
    out[i] = t;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The smallest float32 >= t (t > 0 finite). Max-logit temperatures are rounded *up* to float32 so
 * the guarantee |z'/T| <= sqrt(3) - 1 still holds for the stored (float32) temperature. @internal
 */
export function roundUpToFloat32(t: number): number {
  f32[0] = t;
  if (f32[0] < t) u32[0] += 1;
  return f32[0];
}

/** {@link toTemperatures} rounding every value up to float32 (see {@link roundUpToFloat32}). @internal */
export function toTemperaturesRoundedUp(name: string, values: ArrayLike<number>): Float32Array {
  const up = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) up[i] = values[i] > 0 && Number.isFinite(values[i]) ? roundUpToFloat32(values[i]) : values[i];
  return toTemperatures(name, up);
}
