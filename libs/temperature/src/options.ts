/**
 * Declared, validated strategy options. Strategies declare their options (type, default, range,
 * description); `resolveOptions` checks what a caller (or the CLI, which passes strings) gives and
 * fills in the defaults. Errors name the strategy and the option.
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

function parseNumber(strategy: string, key: string, spec: NumberOptionSpec, raw: unknown, kind = 'strategy'): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) v = Number(raw);
  else throw new RangeError(`${kind} "${strategy}": option "${key}" must be a number, got ${JSON.stringify(raw)}`);
  const bounds: string[] = [];
  if (spec.integer && !Number.isInteger(v)) bounds.push('an integer');
  if (!Number.isFinite(v)) bounds.push('finite');
  if (spec.min !== undefined && !(v >= spec.min)) bounds.push(`>= ${spec.min}`);
  if (spec.above !== undefined && !(v > spec.above)) bounds.push(`> ${spec.above}`);
  if (spec.max !== undefined && !(v <= spec.max)) bounds.push(`<= ${spec.max}`);
  if (bounds.length > 0) throw new RangeError(`${kind} "${strategy}": option "${key}" must be ${bounds.join(' and ')}, got ${String(raw)}`);
  return v;
}

function parseBoolean(strategy: string, key: string, raw: unknown, kind = 'strategy'): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new RangeError(`${kind} "${strategy}": option "${key}" must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * Checks `input` against `specs` (unknown keys, types, ranges) and fills in defaults. Errors name the
 * owner as `${kind} "${name}"` (`kind` default `strategy`; the student's distillation losses say `loss`).
 */
export function resolveOptions<S extends OptionSpecs>(strategy: string, specs: S, input: OptionInput = {}, kind = 'strategy'): ResolvedOptions<S> {
  const out: Record<string, number | boolean> = {};
  for (const key of Object.keys(input)) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new RangeError(`${kind} "${strategy}" has no option "${key}" (options: ${known.length === 0 ? 'none' : known.join(', ')})`);
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const raw = input[key];
    if (raw === undefined) out[key] = spec.default;
    else out[key] = spec.type === 'number' ? parseNumber(strategy, key, spec, raw, kind) : parseBoolean(strategy, key, raw, kind);
  }
  return out as ResolvedOptions<S>;
}
