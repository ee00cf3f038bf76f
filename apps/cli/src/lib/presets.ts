/**
 * The presets of `atkd distill` / `atkd train` as data files (like mdistiller's configs):
 * `apps/cli/presets/methods.yaml` (method presets) and `schedules.yaml` (schedule presets), found
 * next to `src/` and `dist/` alike (the package ships the folder). Read once, on first use, and
 * checked like a config file; a bad file is a ConfigError naming the file, the preset and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MODEL_NAMES } from '@atkd/models';
import type { RunConfig } from './config.js';

/** The folder of the preset files (apps/cli/presets). */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));
export const METHODS_FILE = 'methods.yaml';
export const SCHEDULES_FILE = 'schedules.yaml';

export interface MethodPreset {
  description: string;
  values: Partial<RunConfig>;
  /** Loss options by `teacherArch/student`, applied when the preset's loss is used and the user left the option out. */
  lossOptionsByPair: Readonly<Record<string, Record<string, number | boolean>>>;
}

export interface SchedulePreset {
  description: string;
  values: Partial<RunConfig>;
  /** Values by student architecture, over `values`. */
  byStudent: Readonly<Record<string, Partial<RunConfig>>>;
}

export interface Presets {
  methods: Readonly<Record<string, MethodPreset>>;
  schedules: Readonly<Record<string, SchedulePreset>>;
}

/** Checks and types a preset's config values (the config file's rules); `where(key)` names the place. */
export type ValuesParser = (values: Record<string, unknown>, where: (key: string) => string) => Partial<RunConfig>;

type Fail = (message: string) => never;

function mapping(value: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be a mapping`);
  return value as Record<string, unknown>;
}

function readPresetFile(path: string, fail: Fail): Record<string, unknown> {
  if (!existsSync(path)) fail('does not exist (the atkd package ships apps/cli/presets/)');
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(`is not valid YAML: ${(error as Error).message}`);
  }
  return mapping(data, 'the file', fail);
}

/** One preset: `description`, `values` and the optional fields in `extra`; unknown fields are refused. */
function presetFields(name: string, raw: unknown, extra: readonly string[], fail: Fail): Record<string, unknown> {
  const p = mapping(raw, `preset "${name}"`, fail);
  for (const field of Object.keys(p)) {
    if (!['description', 'values', ...extra].includes(field)) fail(`preset "${name}": unknown field "${field}" (fields: description, values${extra.map((e) => `, ${e}`).join('')})`);
  }
  if (typeof p.description !== 'string' || p.description.trim() === '') fail(`preset "${name}": field "description" must be a non-empty string`);
  mapping(p.values, `preset "${name}": field "values"`, fail);
  return p;
}

/** Reads and checks the preset files of `dir` (default {@link PRESETS_DIR}). */
export function loadPresets(parseValues: ValuesParser, fail: (message: string) => Error, dir = PRESETS_DIR): Presets {
  const file = (name: string) => join(dir, name);
  const failIn = (path: string): Fail => (message) => {
    throw fail(`preset file ${path}: ${message}`);
  };
  const checkPairKey = (key: string, what: string, f: Fail): void => {
    const [teacher, student, more] = key.split('/');
    if (more !== undefined || !MODEL_NAMES.includes(teacher ?? '') || !MODEL_NAMES.includes(student ?? '')) f(`${what}: "${key}" is not TEACHER/STUDENT of zoo names (known: ${MODEL_NAMES.join(', ')})`);
  };

  const methodsPath = file(METHODS_FILE);
  const mf = failIn(methodsPath);
  const methods: Record<string, MethodPreset> = {};
  for (const [name, raw] of Object.entries(readPresetFile(methodsPath, mf))) {
    const p = presetFields(name, raw, ['lossOptionsByPair'], mf);
    const byPair: Record<string, Record<string, number | boolean>> = {};
    for (const [pair, opts] of Object.entries(p.lossOptionsByPair === undefined ? {} : mapping(p.lossOptionsByPair, `preset "${name}": field "lossOptionsByPair"`, mf))) {
      checkPairKey(pair, `preset "${name}": field "lossOptionsByPair"`, mf);
      byPair[pair] = parseValues({ lossOptions: opts }, () => `preset file ${methodsPath}: preset "${name}": field "lossOptionsByPair.${pair}"`).lossOptions ?? {};
    }
    methods[name] = { description: p.description as string, values: parseValues(p.values as Record<string, unknown>, (k) => `preset file ${methodsPath}: preset "${name}": key "values.${k}"`), lossOptionsByPair: byPair };
  }

  const schedulesPath = file(SCHEDULES_FILE);
  const sf = failIn(schedulesPath);
  const schedules: Record<string, SchedulePreset> = {};
  for (const [name, raw] of Object.entries(readPresetFile(schedulesPath, sf))) {
    if (name in methods) sf(`preset "${name}" is also a method preset in ${methodsPath}`);
    const p = presetFields(name, raw, ['byStudent'], sf);
    const byStudent: Record<string, Partial<RunConfig>> = {};
    for (const [student, values] of Object.entries(p.byStudent === undefined ? {} : mapping(p.byStudent, `preset "${name}": field "byStudent"`, sf))) {
      if (!MODEL_NAMES.includes(student)) sf(`preset "${name}": field "byStudent": unknown model "${student}" (known: ${MODEL_NAMES.join(', ')})`);
      byStudent[student] = parseValues(mapping(values, `preset "${name}": field "byStudent.${student}"`, sf), (k) => `preset file ${schedulesPath}: preset "${name}": key "byStudent.${student}.${k}"`);
    }
    schedules[name] = { description: p.description as string, values: parseValues(p.values as Record<string, unknown>, (k) => `preset file ${schedulesPath}: preset "${name}": key "values.${k}"`), byStudent };
  }
  return { methods, schedules };
}
