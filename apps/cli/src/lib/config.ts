/**
 * The run configuration of `atkd distill` and `atkd train`: defaults, method presets (`kd`, `ls`,
 * `atkd`, `dkd`, ...) and schedule presets (`quick`, `paper`) read from apps/cli/presets/*.yaml
 * (./presets.ts), a JSON or YAML config file, and command-line flags that override it. Every value is checked; errors name the key (file)
 * or the flag and give the allowed range.
 *
 * Layering, lowest first: defaults < schedule preset < method preset < config file < flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MODEL_NAMES } from '@atkd/models';
import { checkOptions, getStrategyDefinition, strategyNames } from '@atkd/temperature';
import { getLossDefinition, lossNames } from '@atkd/student';
import { INPUT_NORMALIZATION_NAMES } from '@atkd/data';
import { BACKEND_CHOICES, MAX_WASM_THREADS } from '@atkd/backend';
import { kebab, type FlagSpec, type ParsedArgs } from '../args.js';
import { PRESETS_DIR, loadPresets, type Presets } from './presets.js';

/** A configuration problem: bad key, bad value, unknown name. The message names the key or flag. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The fully resolved configuration of a training run (written to `config.json` in the run directory). */
export interface RunConfig {
  /** `distill` (teacher -> student) or `train` (supervised, cross-entropy only). */
  command: 'distill' | 'train';
  /** Presets applied, in order (schedule preset first, then the method preset). */
  presets: string[];
  /** Method preset (distill): kd, ls, ctkd, dtkd, atkd, atkd-paired. */
  method: string | null;
  /** Teacher: a `.pth` file (PyTorch state dict) or a TF.js model directory (distill only). */
  teacher: string | null;
  /** Zoo architecture of a `.pth` teacher. */
  teacherArch: string | null;
  /** Zoo architecture of the student (or of the trained model, for `train`). */
  student: string;
  /** Training data (Arrow file of `@atkd/data`). */
  train: string;
  /** Test data (Arrow file of `@atkd/data`), evaluated after every epoch. */
  test: string;
  /** Temperature strategy (distill): a name of the `@atkd/temperature` registry. */
  strategy: string | null;
  /** Options of the strategy (validated by the strategy). */
  strategyOptions: Record<string, number | boolean>;
  /** Distillation loss (distill): a name of the `@atkd/student` loss registry (`kd`, `dkd`, `mlkd`). */
  loss: string | null;
  /** Options of the loss (validated by the loss), e.g. DKD's alpha, beta, warmup. */
  lossOptions: Record<string, number | boolean>;
  /** Input normalisation of the images (`@atkd/data`): `cifar100` (atkd's) or `repdistiller` (RepDistiller / mdistiller / the authors' code). */
  normalization: string;
  /** Weight of the cross-entropy term. */
  gamma: number;
  /** Weight of the KD term. */
  beta: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Epochs (0-based) at which the learning rate is multiplied by lrDecay. */
  milestones: number[];
  lrDecay: number;
  /** Random crop (4-pixel padding) and horizontal flip. */
  augment: boolean;
  /** Seed of the student's initial weights, the shuffle and the augmentation. */
  seed: number;
  /** Cap on the steps of each epoch (null: the whole training file). */
  stepsPerEpoch: number | null;
  /** Cap on the test images evaluated (null: the whole test file). */
  testLimit: number | null;
  /** Batch size of evaluation. */
  evalBatchSize: number;
  /** Write `latest` every this many steps (0: at the end of every epoch only). */
  checkpointEvery: number;
  /** TF.js engine (null: the best available, see `@atkd/backend`). */
  backend: string | null;
  /** Threads of the engine, ATen on torch, XNNPACK on wasm (null: ATKD_THREADS, else every core). */
  threads: number | null;
  /**
   * Train from a NATS JetStream stream of batches that carry teacher logits (`nats://HOST:PORT/STREAM`,
   * credentials shown as `***`), instead of running the teacher on the training file.
   */
  source: string | null;
}

/** Reads and checks the preset files of `dir` like a config file (errors: ConfigError naming the file, the preset and the key). */
export function readPresets(dir = PRESETS_DIR): Presets {
  return loadPresets((values, where) => parseLayer('distill', values, where, true), (message) => new ConfigError(message), dir);
}

let loaded: Presets | null = null;

/** The method and schedule presets (apps/cli/presets/*.yaml), read on first use. */
export function presets(): Presets {
  loaded ??= readPresets();
  return loaded;
}

export function presetNames(): string[] {
  return [...Object.keys(presets().methods), ...Object.keys(presets().schedules)];
}

type Kind = 'int' | 'number' | 'bool' | 'string' | 'model' | 'strategy' | 'loss' | 'normalization' | 'method' | 'ints' | 'presets' | 'options' | 'backend';

/** A configuration key: its type, its allowed range, and the commands that take it. */
interface KeySpec {
  kind: Kind;
  description: string;
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
  nullable?: boolean;
  commands: ReadonlyArray<'distill' | 'train'>;
  placeholder?: string;
}

const BOTH = ['distill', 'train'] as const;
const DISTILL = ['distill'] as const;

export const KEYS: Readonly<Record<string, KeySpec>> = {
  presets: {
    kind: 'presets',
    commands: BOTH,
    get description() {
      return `presets, comma-separated: a schedule (${Object.keys(presets().schedules).join(', ')}) and/or a method (${Object.keys(presets().methods).join(', ')})`;
    },
    placeholder: 'NAMES',
  },
  method: {
    kind: 'method',
    commands: DISTILL,
    get description() {
      return `method preset: ${Object.keys(presets().methods).join(', ')}`;
    },
    placeholder: 'NAME',
  },
  teacher: { kind: 'string', commands: DISTILL, description: 'teacher: .pth checkpoint or TF.js model directory', placeholder: 'PATH' },
  teacherArch: { kind: 'model', commands: DISTILL, description: 'zoo architecture of a .pth teacher', placeholder: 'NAME' },
  student: { kind: 'model', commands: BOTH, description: 'zoo architecture of the student (train: of the model)', placeholder: 'NAME' },
  train: { kind: 'string', commands: BOTH, description: 'training data (.arrow from `atkd data import`)', placeholder: 'FILE' },
  test: { kind: 'string', commands: BOTH, description: 'test data (.arrow), evaluated after every epoch', placeholder: 'FILE' },
  strategy: { kind: 'strategy', commands: DISTILL, description: 'temperature strategy (overrides the method preset)', placeholder: 'NAME' },
  strategyOptions: { kind: 'options', commands: DISTILL, description: 'strategy options, e.g. temperature=4,standardize=false', placeholder: 'K=V,...' },
  loss: { kind: 'loss', commands: DISTILL, description: `distillation loss: ${lossNames().join(', ')} (overrides the method preset)`, placeholder: 'NAME' },
  lossOptions: { kind: 'options', commands: DISTILL, description: 'loss options, e.g. alpha=1,beta=8,warmup=20 (dkd)', placeholder: 'K=V,...' },
  normalization: { kind: 'normalization', commands: BOTH, description: `input normalisation: ${INPUT_NORMALIZATION_NAMES.join(', ')} (repdistiller: the constants of RepDistiller, mdistiller and the authors' code, for teachers trained there)`, placeholder: 'NAME' },
  gamma: { kind: 'number', commands: DISTILL, min: 0, max: 1000, description: 'weight of the cross-entropy term', placeholder: 'X' },
  beta: { kind: 'number', commands: DISTILL, min: 0, max: 1000, description: 'weight of the KD term', placeholder: 'X' },
  epochs: { kind: 'int', commands: BOTH, min: 1, max: 100000, description: 'epochs', placeholder: 'N' },
  batchSize: { kind: 'int', commands: BOTH, min: 1, max: 8192, description: 'training batch size', placeholder: 'N' },
  lr: { kind: 'number', commands: BOTH, above: 0, max: 10, description: 'initial learning rate', placeholder: 'X' },
  momentum: { kind: 'number', commands: BOTH, min: 0, below: 1, description: 'SGD momentum', placeholder: 'X' },
  weightDecay: { kind: 'number', commands: BOTH, min: 0, max: 1, description: 'L2 weight decay', placeholder: 'X' },
  milestones: { kind: 'ints', commands: BOTH, min: 0, max: 100000, description: 'epochs at which lr *= lr-decay, comma-separated', placeholder: 'E,E,...' },
  lrDecay: { kind: 'number', commands: BOTH, above: 0, max: 1, description: 'factor of each learning-rate decay', placeholder: 'X' },
  augment: { kind: 'bool', commands: BOTH, description: 'random crop + horizontal flip (true/false)', placeholder: 'BOOL' },
  seed: { kind: 'int', commands: BOTH, min: 0, max: 4294967295, description: 'seed of the initial weights, shuffle and augmentation', placeholder: 'N' },
  stepsPerEpoch: { kind: 'int', commands: BOTH, min: 1, max: 1e9, nullable: true, description: 'cap on the steps of an epoch', placeholder: 'N' },
  testLimit: { kind: 'int', commands: BOTH, min: 1, max: 1e9, nullable: true, description: 'cap on the test images evaluated', placeholder: 'N' },
  evalBatchSize: { kind: 'int', commands: BOTH, min: 1, max: 8192, description: 'evaluation batch size', placeholder: 'N' },
  checkpointEvery: { kind: 'int', commands: BOTH, min: 0, max: 1e9, description: 'also write `latest` every N steps (0: each epoch only)', placeholder: 'N' },
  backend: { kind: 'backend', commands: BOTH, nullable: true, description: `TF.js engine: ${BACKEND_CHOICES.join(', ')} (default: best available)`, placeholder: 'NAME' },
  source: { kind: 'string', commands: DISTILL, nullable: true, description: 'train from a JetStream stream of batches with teacher logits (atkd serve teacher), nats://HOST:PORT/STREAM', placeholder: 'URL' },
  threads: { kind: 'int', commands: BOTH, min: 1, max: MAX_WASM_THREADS, nullable: true, description: 'threads of the engine: ATen on torch, XNNPACK on wasm (default: ATKD_THREADS, else every core)', placeholder: 'N' },
};

/** The flag of a key (`batchSize` -> `--batch-size`; `presets` -> `--preset`). */
export function flagOf(key: string): string {
  return key === 'presets' ? 'preset' : kebab(key);
}

/** Flag specs of the config keys a command takes. */
export function configFlags(command: 'distill' | 'train'): Record<string, FlagSpec> {
  const out: Record<string, FlagSpec> = {};
  for (const [key, spec] of Object.entries(KEYS)) {
    if (!spec.commands.includes(command)) continue;
    out[flagOf(key)] = { description: rangeText(spec) ? `${spec.description} ${rangeText(spec)}` : spec.description, placeholder: spec.placeholder };
  }
  return out;
}

function rangeText(spec: KeySpec): string {
  if (spec.kind !== 'int' && spec.kind !== 'number' && spec.kind !== 'ints') return '';
  const lo = spec.above !== undefined ? `(${spec.above}` : `[${spec.min ?? '-inf'}`;
  const hi = spec.below !== undefined ? `${spec.below})` : `${spec.max ?? 'inf'}]`;
  return `${lo}, ${hi}`;
}

function inRange(spec: KeySpec, v: number): boolean {
  if (spec.min !== undefined && v < spec.min) return false;
  if (spec.above !== undefined && !(v > spec.above)) return false;
  if (spec.max !== undefined && v > spec.max) return false;
  if (spec.below !== undefined && !(v < spec.below)) return false;
  return Number.isFinite(v);
}

/** Where a value came from, for error messages: `flag --lr` or `key "lr" in cfg.yaml`. */
type Where = (key: string) => string;

function parseNumberValue(raw: unknown, where: string, spec: KeySpec, integer: boolean, strict = false): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (strict && typeof raw === 'string') throw new ConfigError(`${where} must be ${integer ? 'an integer' : 'a number'}, got the string ${JSON.stringify(raw)}; write it without quotes`);
  else if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) v = Number(raw);
  else throw new ConfigError(`${where} must be ${integer ? 'an integer' : 'a number'} in ${rangeText(spec)}, got ${JSON.stringify(raw)}`);
  if (integer && !Number.isInteger(v)) throw new ConfigError(`${where} must be an integer in ${rangeText(spec)}, got ${JSON.stringify(raw)}`);
  if (!inRange(spec, v)) throw new ConfigError(`${where} is out of range: ${v} is not in ${rangeText(spec)}`);
  return v;
}

function parseBool(raw: unknown, where: string, strict = false): boolean {
  if (typeof raw === 'boolean') return raw;
  if (strict && typeof raw === 'string') throw new ConfigError(`${where} must be true or false, got the string ${JSON.stringify(raw)}; write it without quotes`);
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
}

function listOf(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'string') return raw.trim() === '' ? [] : raw.split(',').map((s) => s.trim());
  return [raw];
}

function checkModel(name: unknown, where: string): string {
  if (typeof name !== 'string' || !MODEL_NAMES.includes(name)) {
    throw new ConfigError(`${where}: unknown model ${JSON.stringify(name)} (known: ${MODEL_NAMES.join(', ')})`);
  }
  return name;
}

/**
 * Parses one user-given value of `key` (from a file or a flag) into its typed form. `strict` (values
 * of a config file, which has types): a number or boolean written as a string is refused, not coerced.
 */
function parseValue(key: string, raw: unknown, where: string, strict = false): unknown {
  const spec = KEYS[key];
  if (raw === null && spec.nullable) return null;
  if (spec.nullable && (raw === 'none' || raw === 'null')) return null;
  switch (spec.kind) {
    case 'int':
      return parseNumberValue(raw, where, spec, true, strict);
    case 'number':
      return parseNumberValue(raw, where, spec, false, strict);
    case 'bool':
      return parseBool(raw, where, strict);
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new ConfigError(`${where} must be a non-empty string, got ${JSON.stringify(raw)}`);
      return raw;
    case 'model':
      return checkModel(raw, where);
    case 'backend':
      if (typeof raw !== 'string' || !(BACKEND_CHOICES as readonly string[]).includes(raw)) {
        throw new ConfigError(`${where}: unknown backend ${JSON.stringify(raw)} (known: ${BACKEND_CHOICES.join(', ')})`);
      }
      return raw;
    case 'strategy':
      if (typeof raw !== 'string' || !strategyNames().includes(raw)) {
        throw new ConfigError(`${where}: unknown temperature strategy ${JSON.stringify(raw)} (known: ${strategyNames().join(', ')})`);
      }
      return raw;
    case 'loss':
      if (typeof raw !== 'string' || !lossNames().includes(raw)) {
        throw new ConfigError(`${where}: unknown distillation loss ${JSON.stringify(raw)} (known: ${lossNames().join(', ')})`);
      }
      return raw;
    case 'normalization':
      if (typeof raw !== 'string' || !(INPUT_NORMALIZATION_NAMES as readonly string[]).includes(raw)) {
        throw new ConfigError(`${where}: unknown input normalization ${JSON.stringify(raw)} (known: ${INPUT_NORMALIZATION_NAMES.join(', ')})`);
      }
      return raw;
    case 'method':
      if (typeof raw !== 'string' || !(raw in presets().methods)) {
        throw new ConfigError(`${where}: unknown method ${JSON.stringify(raw)} (known: ${Object.keys(presets().methods).join(', ')})`);
      }
      return raw;
    case 'presets': {
      const names = listOf(raw);
      for (const n of names) {
        if (typeof n !== 'string' || !presetNames().includes(n)) {
          throw new ConfigError(`${where}: unknown preset ${JSON.stringify(n)} (known: ${presetNames().join(', ')})`);
        }
      }
      return names as string[];
    }
    case 'ints':
      if (strict && typeof raw === 'string') throw new ConfigError(`${where} must be a list of integers, got the string ${JSON.stringify(raw)}`);
      return listOf(raw).map((v, i) => parseNumberValue(v, `${where}[${i}]`, spec, true, strict));
    case 'options': {
      // only the shape here; the values are checked and typed by the owner's option specs
      // (checkOptions of @atkd/temperature) once the strategy and the loss are known
      const out: Record<string, unknown> = {};
      if (typeof raw === 'string') {
        for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          const eq = part.indexOf('=');
          if (eq <= 0) throw new ConfigError(`${where}: expected KEY=VALUE, got ${JSON.stringify(part)}`);
          const k = part.slice(0, eq).trim();
          out[k] = part.slice(eq + 1).trim();
        }
        return out;
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where} must be a mapping of option names to numbers or booleans`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'number' && typeof v !== 'boolean') throw new ConfigError(`${where}: option "${k}" must be a number or a boolean, got ${JSON.stringify(v)}`);
        out[k] = v;
      }
      return out;
    }
  }
}

/** Reads a config file (`.json`, `.yaml`, `.yml`) into an object of raw values. Errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${path} cannot be read: ${(error as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  let data: unknown;
  try {
    if (ext === '.json') data = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') data = parseYaml(text);
    else throw new ConfigError(`config file ${path}: unknown format ${JSON.stringify(ext)} (use .json, .yaml or .yml)`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file ${path} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`config file ${path} must hold a mapping of keys to values`);
  return data as Record<string, unknown>;
}

/** Checks and types raw values (from a file or from flags). */
function parseLayer(command: 'distill' | 'train', raw: Record<string, unknown>, where: Where, strict = false): Partial<RunConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = KEYS[key === 'preset' ? 'presets' : key];
    if (spec === undefined || !spec.commands.includes(command)) {
      const known = Object.keys(KEYS).filter((k) => KEYS[k].commands.includes(command));
      throw new ConfigError(`${where(key)}: unknown key for \`atkd ${command}\` (known: ${known.join(', ')})`);
    }
    out[key === 'preset' ? 'presets' : key] = parseValue(key === 'preset' ? 'presets' : key, value, where(key), strict);
  }
  return out as Partial<RunConfig>;
}

/** The config keys given as flags, as raw values keyed by config key. */
export function flagValues(command: 'distill' | 'train', args: ParsedArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(KEYS)) {
    if (!KEYS[key].commands.includes(command)) continue;
    const v = args.flags.get(flagOf(key));
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export interface ResolveInput {
  command: 'distill' | 'train';
  /** Config file path, if any. */
  file?: string;
  /** Raw flag values keyed by config key. */
  flags?: Record<string, unknown>;
  /** Defaults of the embedded run (teacher, data) for keys the user leaves out. */
  defaults: { teacher: string | null; teacherArch: string | null; train: string; test: string };
}

/** Resolves presets, file and flags into a checked {@link RunConfig}. */
export function resolveConfig(input: ResolveInput): RunConfig {
  const { command } = input;
  const fileLayer = input.file !== undefined ? parseLayer(command, readConfigFile(input.file), (k) => `key "${k}" in ${input.file}`, true) : {};
  const flagLayer = parseLayer(command, input.flags ?? {}, (k) => `flag --${flagOf(k)}`);
  const user: Partial<RunConfig> = { ...fileLayer, ...flagLayer };

  const { methods: METHODS, schedules: SCHEDULES } = presets();
  const chosen = user.presets ?? [];
  const schedule = chosen.filter((p) => p in SCHEDULES);
  if (schedule.length === 0) schedule.push('quick');
  let method: string | null = null;
  if (command === 'distill') {
    const methods = chosen.filter((p) => p in METHODS);
    if (methods.length > 1 && user.method === undefined) throw new ConfigError(`presets ${methods.join(' and ')} are both method presets; pick one`);
    if (methods.length > 0 && user.method !== undefined && methods.some((m) => m !== user.method)) {
      throw new ConfigError(`preset ${methods.join(',')} and method ${user.method} both choose the method; give one (--preset ${user.method} or --method ${user.method})`);
    }
    method = user.method ?? methods[0] ?? 'atkd';
  } else if (chosen.some((p) => p in METHODS)) {
    throw new ConfigError(`\`atkd train\` trains without a teacher; method presets (${Object.keys(METHODS).join(', ')}) apply to \`atkd distill\``);
  }
  const student = user.student ?? 'resnet8';

  const base: RunConfig = {
    command,
    presets: [],
    method,
    teacher: command === 'distill' ? input.defaults.teacher : null,
    teacherArch: command === 'distill' ? input.defaults.teacherArch : null,
    student,
    train: input.defaults.train,
    test: input.defaults.test,
    strategy: null,
    strategyOptions: {},
    loss: command === 'distill' ? 'kd' : null,
    lossOptions: {},
    normalization: 'cifar100',
    gamma: command === 'distill' ? 0.1 : 1,
    beta: command === 'distill' ? 9 : 0,
    epochs: 8,
    batchSize: 64,
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    milestones: [],
    lrDecay: 0.1,
    augment: true,
    seed: 0,
    stepsPerEpoch: null,
    testLimit: null,
    evalBatchSize: 200,
    checkpointEvery: 0,
    backend: null,
    threads: null,
    source: null,
  };
  let config: RunConfig = { ...base };
  for (const s of schedule) {
    const values = { ...SCHEDULES[s].values, ...SCHEDULES[s].byStudent[student] };
    if (command === 'train') {
      delete values.gamma;
      delete values.beta;
    }
    config = { ...config, ...values };
  }
  const methodPreset = method !== null ? METHODS[method] : null;
  if (methodPreset !== null) config = { ...config, ...methodPreset.values };
  const { presets: _ignored, ...userValues } = user;
  config = { ...config, ...userValues, presets: [...schedule, ...(method !== null ? [method] : [])], method };
  // the default teacher's architecture only goes with the default teacher
  if (user.teacher !== undefined && user.teacher !== input.defaults.teacher && user.teacherArch === undefined) config.teacherArch = null;
  if (user.strategy !== undefined && user.strategyOptions === undefined && user.strategy !== config.strategy) config.strategyOptions = {};
  if (user.strategy !== undefined) config.strategy = user.strategy;
  if (user.loss !== undefined && user.lossOptions === undefined && user.loss !== (methodPreset?.values.loss ?? 'kd')) config.lossOptions = {};
  // a method preset's loss options per teacher/student pair (mdistiller's DKD beta), for the options the user left out
  const pair = methodPreset !== null && config.loss === methodPreset.values.loss ? methodPreset.lossOptionsByPair[`${config.teacherArch ?? ''}/${config.student}`] : undefined;
  for (const [k, v] of Object.entries(pair ?? {})) if (user.lossOptions?.[k] === undefined) config.lossOptions = { ...config.lossOptions, [k]: v };

  // Cross-key checks.
  const where = (key: string): string => (key in flagLayer ? `flag --${flagOf(key)}` : key in fileLayer ? `key "${key}" in ${input.file}` : `${key} (from preset ${config.presets.join(',')})`);
  // milestones given by the user must fall inside the run; a preset's milestones past a shortened run are inert
  if (user.milestones !== undefined) {
    for (const m of config.milestones) {
      if (m >= config.epochs) throw new ConfigError(`${where('milestones')}: milestone ${m} is not below epochs (${config.epochs}); allowed range [0, ${config.epochs - 1}]`);
    }
  }
  if (command === 'distill') {
    if (config.teacher === null) throw new ConfigError('no teacher: pass --teacher <file.pth | model dir>');
    if (config.strategy === null) throw new ConfigError('no temperature strategy: pass --strategy or --method');
    if (config.teacher.endsWith('.pth') && config.teacherArch === null) {
      throw new ConfigError(`teacher ${config.teacher} is a PyTorch checkpoint: pass --teacher-arch <architecture> (known: ${MODEL_NAMES.join(', ')})`);
    }
    // the one option validator (checkOptions): values typed by the strategy's and the loss's specs;
    // the error's owner is known by the call, so it names that key (flag, file key or preset)
    const strategy = getStrategyDefinition(config.strategy);
    const loss = getLossDefinition(config.loss ?? 'kd');
    const checked = (key: 'strategyOptions' | 'lossOptions', check: () => void): void => {
      try {
        check();
      } catch (error) {
        throw new ConfigError(`${where(key)}: ${(error as Error).message}`);
      }
    };
    checked('strategyOptions', () => strategy.create((config.strategyOptions = checkOptions(strategy.name, strategy.options, config.strategyOptions) as RunConfig['strategyOptions'])));
    checked('lossOptions', () => loss.create((config.lossOptions = checkOptions(loss.name, loss.options, config.lossOptions, 'loss') as RunConfig['lossOptions'])));
  }
  return config;
}

/** A config with the keys `--resume` may change (others must match the run's `config.json`). */
export const RESUMABLE_KEYS: readonly string[] = ['epochs', 'backend', 'threads', 'checkpointEvery', 'evalBatchSize'];
