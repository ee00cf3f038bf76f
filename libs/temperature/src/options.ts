/**
 * Declared, validated options: the one option-spec validator of atkd. Strategies (and the student's
 * distillation losses) declare their options as data (type, default, range, description);
 * {@link resolveOptions} checks what a caller (or the CLI, which passes strings) gives and fills in the
 * defaults, {@link checkOptions} checks and types just what was given. Every failure is an
 * {@link OptionError} whose fields say whose option (`kind`, `strategy`) and which (`option`), so a
 * caller maps it to its own flag or key without reading the message.
 */

export interface NumberOptionSpec {
  type: 'number';
  default: number;
  description: string;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  integer?: boolean;
}

export interface BooleanOptionSpec {
  type: 'boolean';
  default: boolean;
  description: string;
}

export type OptionSpec = NumberOptionSpec | BooleanOptionSpec;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The resolved options of a spec map: numbers and booleans. */
export type ResolvedOptions<S extends OptionSpecs> = { [K in keyof S]: S[K] extends NumberOptionSpec ? number : boolean };

/** Option values as given: numbers, booleans, or strings (from a command line). */
export type OptionInput = Readonly<Record<string, unknown>>;

/** Why an option was refused: not one of the owner's options, the wrong type, or out of its range. */
export type OptionProblem = 'unknown' | 'type' | 'range';

/**
 * A refused option. `strategy` is the owner's name (a temperature strategy, or a loss when `kind` is
 * `loss`), `option` the option's key, `value` what was given; the message reads
 * `strategy "static": option "temperature" must be > 0, got -2`.
 */
export class OptionError extends RangeError {
  constructor(
    readonly kind: string,
    readonly strategy: string,
    readonly option: string,
    readonly problem: OptionProblem,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'OptionError';
  }
}

function parseNumber(kind: string, strategy: string, key: string, spec: NumberOptionSpec, raw: unknown): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) v = Number(raw);
  else throw new OptionError(kind, strategy, key, 'type', raw, `${kind} "${strategy}": option "${key}" must be a number, got ${JSON.stringify(raw)}`);
  const bounds: string[] = [];
  if (spec.integer && !Number.isInteger(v)) bounds.push('an integer');
  if (!Number.isFinite(v)) bounds.push('finite');
  if (spec.min !== undefined && !(v >= spec.min)) bounds.push(`>= ${spec.min}`);
  if (spec.above !== undefined && !(v > spec.above)) bounds.push(`> ${spec.above}`);
  if (spec.max !== undefined && !(v <= spec.max)) bounds.push(`<= ${spec.max}`);
  if (bounds.length > 0) throw new OptionError(kind, strategy, key, 'range', raw, `${kind} "${strategy}": option "${key}" must be ${bounds.join(' and ')}, got ${String(raw)}`);
  return v;
}

function parseBoolean(kind: string, strategy: string, key: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new OptionError(kind, strategy, key, 'type', raw, `${kind} "${strategy}": option "${key}" must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * Checks the options given in `input` against `specs` (unknown keys, types, ranges) and returns them
 * typed, without the defaults (what a configuration records). Throws an {@link OptionError}; its
 * message names the owner as `${kind} "${strategy}"` (`kind` default `strategy`; losses say `loss`).
 */
export function checkOptions<S extends OptionSpecs>(strategy: string, specs: S, input: OptionInput = {}, kind = 'strategy'): Partial<ResolvedOptions<S>> {
  const out: Record<string, number | boolean> = {};
  for (const [key, raw] of Object.entries(input)) {
    const spec = specs[key];
    if (spec === undefined) {
      const known = Object.keys(specs);
      throw new OptionError(kind, strategy, key, 'unknown', raw, `${kind} "${strategy}" has no option "${key}" (options: ${known.length === 0 ? 'none' : known.join(', ')})`);
    }
    if (raw !== undefined) out[key] = spec.type === 'number' ? parseNumber(kind, strategy, key, spec, raw) : parseBoolean(kind, strategy, key, raw);
  }
  return out as Partial<ResolvedOptions<S>>;
}

/** {@link checkOptions} with the defaults filled in: every option of `specs`, typed. */
export function resolveOptions<S extends OptionSpecs>(strategy: string, specs: S, input: OptionInput = {}, kind = 'strategy'): ResolvedOptions<S> {
  const given = checkOptions(strategy, specs, input, kind) as Record<string, number | boolean>;
  const out: Record<string, number | boolean> = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = given[key] ?? spec.default;
  return out as ResolvedOptions<S>;
}
