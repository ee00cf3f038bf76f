/**
 * A small, strict command-line flag parser: `--name value`, `--name=value`, `-o value`, boolean
 * flags, positionals. Unknown flags and missing values are errors that name the flag.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Takes a value (default true); false: a boolean switch. */
  value?: boolean;
  /** One-letter alias, e.g. `o` for `-o`. */
  short?: string;
  /** Shown in --help. */
  description: string;
  /** Shown in --help, e.g. `N`. */
  placeholder?: string;
  /**
   * An old spelling: giving it is a usage error that names the flag to use instead (e.g. `--arch NAME`).
   * Not shown in --help.
   */
  renamedTo?: string;
}

/** The spec of an old flag spelling (see {@link FlagSpec.renamedTo}). */
export function renamed(to: string): FlagSpec {
  return { description: '', renamedTo: to };
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/** Parses `argv` against `specs` (keys are flag names without `--`). */
export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, context: string): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([k, s]) => [s.short as string, k]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg.startsWith('-') && arg.length === 2 && arg !== '-') {
      name = byShort.get(arg.slice(1));
      if (name === undefined) throw new UsageError(`${context}: unknown flag ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec === undefined) {
      const known = Object.entries(specs).filter(([, s]) => s.renamedTo === undefined).map(([k]) => `--${k}`);
      throw new UsageError(`${context}: unknown flag --${name} (flags: ${known.join(', ')})`);
    }
    if (spec.renamedTo !== undefined) throw new UsageError(`${context}: flag --${name} was renamed: use ${spec.renamedTo}`);
    if (spec.value === false) {
      if (inline !== undefined) throw new UsageError(`${context}: flag --${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) throw new UsageError(`${context}: flag --${name} needs a value`);
      value = argv[++i];
    }
    if (flags.has(name)) throw new UsageError(`${context}: flag --${name} given twice`);
    flags.set(name, value);
  }
  return { flags, positionals };
}

/** The value of an integer flag, or undefined; a UsageError naming the flag if it is not an integer in range. */
export function intFlag(args: ParsedArgs, name: string, context: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const v = typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`${context}: flag --${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** The value of a string flag, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const raw = args.flags.get(name);
  return typeof raw === 'string' ? raw : undefined;
}

/** `tStart` -> `t-start`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Formats flag specs as help lines. */
export function formatFlags(specs: Readonly<Record<string, FlagSpec>>): string {
  const rows = Object.entries(specs).filter(([, s]) => s.renamedTo === undefined).map(([k, s]) => {
    const head = `${s.short ? `-${s.short}, ` : '    '}--${k}${s.value === false ? '' : ` ${s.placeholder ?? 'VALUE'}`}`;
    return [head, s.description] as const;
  });
  const w = Math.max(...rows.map(([h]) => h.length));
  return rows.map(([h, d]) => `  ${h.padEnd(w)}  ${d}`).join('\n');
}
