// The presets are data files (apps/cli/presets/*.yaml), checked like a config file.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, presetNames, presets, readPresets } from '../src/lib/config.js';
import { METHODS_FILE, PRESETS_DIR, SCHEDULES_FILE } from '../src/lib/presets.js';

/** A copy of the shipped preset folder with `file` replaced by `text` (null: removed). */
function withFile(file: string, text: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'atkd-presets-'));
  for (const f of [METHODS_FILE, SCHEDULES_FILE]) copyFileSync(join(PRESETS_DIR, f), join(dir, f));
  if (text === null) rmSync(join(dir, file));
  else writeFileSync(join(dir, file), text);
  return dir;
}

describe('presets as data', () => {
  it('the shipped files hold every preset, in the order atkd lists them', () => {
    expect(presetNames()).toEqual(['kd', 'ls', 'ctkd', 'dtkd', 'atkd', 'atkd-paired', 'atkd-teacher', 'ctkd-ls', 'dkd', 'dkd-ls', 'dkd-atkd', 'mlkd', 'mlkd-ls', 'mlkd-atkd', 'quick', 'paper']);
    const { methods, schedules } = presets();
    expect(methods.dkd.lossOptionsByPair['resnet56/resnet20']).toEqual({ beta: 2 });
    expect(methods['dkd-atkd'].lossOptionsByPair).toEqual(methods.dkd.lossOptionsByPair);
    expect(methods.kd.lossOptionsByPair).toEqual({});
    expect(schedules.paper.values).toMatchObject({ epochs: 240, milestones: [150, 180, 210], weightDecay: 5e-4, gamma: 0.1, beta: 9 });
    expect(schedules.quick.byStudent.ShuffleV2).toEqual({ lr: 0.01 });
    // a copy of the shipped folder reads the same
    expect(readPresets(withFile(METHODS_FILE, readFileSync(join(PRESETS_DIR, METHODS_FILE), 'utf8')))).toEqual(presets());
  });

  it.each([
    [METHODS_FILE, 'kd:\n  description: x\n  values: { gamma: "0.1" }\n', /preset "kd": key "values\.gamma" must be a number.*got the string "0\.1"/],
    [METHODS_FILE, 'kd:\n  description: x\n  values: { strategy: warm }\n', /preset "kd": key "values\.strategy": unknown temperature strategy "warm"/],
    [METHODS_FILE, 'kd:\n  description: x\n  values: {}\n  colour: red\n', /preset "kd": unknown field "colour" \(fields: description, values, lossOptionsByPair\)/],
    [METHODS_FILE, 'kd:\n  values: {}\n', /preset "kd": field "description" must be a non-empty string/],
    [METHODS_FILE, 'dkd:\n  description: x\n  values: {}\n  lossOptionsByPair: { resnet56-resnet20: { beta: 2 } }\n', /field "lossOptionsByPair": "resnet56-resnet20" is not TEACHER\/STUDENT of zoo names/],
    [METHODS_FILE, 'kd: [1, 2]\n', /preset "kd" must be a mapping/],
    [METHODS_FILE, 'kd: {\n', /is not valid YAML/],
    [SCHEDULES_FILE, 'quick:\n  description: x\n  values: { epochs: 0 }\n', /preset "quick": key "values\.epochs"/],
    [SCHEDULES_FILE, 'quick:\n  description: x\n  values: {}\n  byStudent: { resnet9: { lr: 0.01 } }\n', /preset "quick": field "byStudent": unknown model "resnet9"/],
    [SCHEDULES_FILE, 'kd:\n  description: x\n  values: {}\n', /preset "kd" is also a method preset/],
    [SCHEDULES_FILE, null, /schedules\.yaml: does not exist/],
  ])('a bad %s is a ConfigError naming the file and the field (%#)', (file, text, message) => {
    const dir = withFile(file, text);
    let error: unknown;
    try {
      readPresets(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`preset file ${join(dir, file)}: `);
    expect((error as Error).message).toMatch(message);
  });
});
