// Config resolution: presets, file + flag layering, validation messages.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, presets, resolveConfig } from '../src/lib/config.js';
import { defaultRunDir } from '../src/commands/run.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const defaults = { teacher: 'teacher.pth', teacherArch: 'resnet20', train: 'train.arrow', test: 'test.arrow' };

describe('config', () => {
  it('paper preset: the authors schedule, lr 0.05, 0.01 for MobileNetV2 and ShuffleNets', () => {
    const c = resolveConfig({ command: 'distill', flags: { presets: 'atkd,paper' }, defaults });
    expect(c).toMatchObject({ epochs: 240, batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, milestones: [150, 180, 210], lrDecay: 0.1, gamma: 0.1, beta: 9, augment: true, strategy: 'adaptive' });
    expect(c.presets).toEqual(['paper', 'atkd']);
    // a shortened paper run keeps the preset's milestones (inert past the end); given ones must fit
    expect(resolveConfig({ command: 'distill', flags: { presets: 'paper', epochs: '3' }, defaults }).milestones).toEqual([150, 180, 210]);
    expect(resolveConfig({ command: 'distill', defaults })).toMatchObject({ presets: ['quick', 'atkd'], epochs: 15, milestones: [10], lr: 0.05, strategy: 'adaptive', student: 'resnet8', teacher: 'teacher.pth', teacherArch: 'resnet20' });
    for (const s of ['MobileNetV2', 'ShuffleV1', 'ShuffleV2']) expect(resolveConfig({ command: 'distill', flags: { presets: 'paper', student: s }, defaults }).lr).toBe(0.01);
    expect(resolveConfig({ command: 'distill', flags: { presets: 'paper', student: 'vgg8' }, defaults }).lr).toBe(0.05);
    // the wasm thread count: null (ATKD_WASM_THREADS / every core) unless given
    expect(resolveConfig({ command: 'distill', defaults }).threads).toBeNull();
    expect(resolveConfig({ command: 'train', flags: { threads: '2' }, defaults }).threads).toBe(2);
  });

  it('method presets pick their strategy and weights', () => {
    const want: Record<string, string> = {
      kd: 'static', ls: 'logit-standardization', ctkd: 'ctkd', dtkd: 'dtkd', atkd: 'adaptive', 'atkd-paired': 'adaptive-paired', 'atkd-teacher': 'adaptive-teacher',
      'ctkd-ls': 'ctkd', dkd: 'static', 'dkd-ls': 'logit-standardization', 'dkd-atkd': 'adaptive', mlkd: 'static', 'mlkd-ls': 'logit-standardization', 'mlkd-atkd': 'adaptive',
    };
    expect(Object.keys(presets().methods).sort()).toEqual(Object.keys(want).sort());
    for (const [m, s] of Object.entries(want)) expect(resolveConfig({ command: 'distill', flags: { method: m }, defaults }).strategy).toBe(s);
    expect(resolveConfig({ command: 'distill', flags: { presets: 'kd' }, defaults })).toMatchObject({ strategy: 'static', strategyOptions: { temperature: 4 }, gamma: 0.1, beta: 0.9, loss: 'kd' });
  });

  it("DKD, MLKD and CTKD+LS presets: the authors' and mdistiller's defaults, mdistiller's per-pair DKD beta, loss flags", () => {
    const d = (flags: Record<string, unknown>) => resolveConfig({ command: 'distill', flags, defaults });
    expect(d({ method: 'dkd' })).toMatchObject({ loss: 'dkd', lossOptions: { alpha: 1, beta: 8, warmup: 20 }, strategy: 'static', strategyOptions: { temperature: 4 }, gamma: 1, beta: 1 });
    expect(d({ method: 'dkd-ls' })).toMatchObject({ loss: 'dkd', strategy: 'logit-standardization', strategyOptions: { temperature: 2 }, gamma: 1, beta: 9 });
    expect(d({ method: 'dkd-atkd' })).toMatchObject({ loss: 'dkd', strategy: 'adaptive', gamma: 1, beta: 9 });
    expect(d({ method: 'mlkd' })).toMatchObject({ loss: 'mlkd', strategy: 'static', strategyOptions: { temperature: 4 }, gamma: 1, beta: 1 });
    expect(d({ method: 'mlkd-atkd' })).toMatchObject({ loss: 'mlkd', strategy: 'adaptive', gamma: 0.1, beta: 9 });
    expect(d({ method: 'ctkd-ls' })).toMatchObject({ loss: 'kd', strategy: 'ctkd', strategyOptions: { standardize: true, kdWeight: 9 } });
    // the defaults' teacher is resnet20: no table entry; resnet56 -> resnet20 is beta 2 in mdistiller, vgg13 -> vgg8 is 6
    expect(d({ method: 'dkd', teacher: 't.pth', teacherArch: 'resnet56', student: 'resnet20' }).lossOptions).toEqual({ alpha: 1, beta: 2, warmup: 20 });
    expect(d({ method: 'dkd-atkd', teacher: 't.pth', teacherArch: 'vgg13', student: 'vgg8' }).lossOptions.beta).toBe(6);
    expect(d({ method: 'dkd', teacher: 't.pth', teacherArch: 'resnet56', student: 'resnet20', lossOptions: 'beta=5' }).lossOptions).toEqual({ beta: 5 });
    expect(d({ loss: 'dkd' })).toMatchObject({ loss: 'dkd', lossOptions: {}, strategy: 'adaptive' });
    expect(d({ normalization: 'repdistiller' }).normalization).toBe('repdistiller');
    expect(d({}).normalization).toBe('cifar100');
    expect(() => d({ loss: 'crd' })).toThrow(/flag --loss: unknown distillation loss "crd" \(known: kd, dkd, mlkd\)/);
    expect(() => d({ method: 'dkd', lossOptions: 'gamma=2' })).toThrow(/flag --loss-options: loss "dkd" has no option "gamma"/);
    expect(() => d({ normalization: 'imagenet' })).toThrow(/unknown input normalization "imagenet" \(known: cifar100, repdistiller\)/);
  });

  it('layers: defaults < presets < YAML file < flags', () => {
    const file = join(work, 'run.yaml');
    writeFileSync(file, 'preset: [paper, kd]\nepochs: 300\nlr: 0.02\nstrategyOptions:\n  temperature: 3\n');
    const c = resolveConfig({ command: 'distill', file, flags: { lr: '0.03' }, defaults });
    expect(c).toMatchObject({ epochs: 300, lr: 0.03, strategy: 'static', strategyOptions: { temperature: 3 }, milestones: [150, 180, 210] });
    const json = join(work, 'run.json');
    writeFileSync(json, JSON.stringify({ epochs: 2, milestones: [1], augment: false }));
    expect(resolveConfig({ command: 'train', file: json, defaults })).toMatchObject({ epochs: 2, milestones: [1], augment: false, gamma: 1, beta: 0, teacher: null });
  });

  it('errors name the key or flag and the allowed range / known names', () => {
    const bad = (flags: Record<string, unknown>, pattern: RegExp, command: 'distill' | 'train' = 'distill') => {
      expect(() => resolveConfig({ command, flags, defaults })).toThrow(ConfigError);
      expect(() => resolveConfig({ command, flags, defaults })).toThrow(pattern);
    };
    bad({ student: 'resnet9' }, /flag --student: unknown model "resnet9" \(known: resnet8, .*resnet20/);
    bad({ presets: 'fast' }, /flag --preset: unknown preset "fast" \(known: kd, ls, ctkd, dtkd, atkd, atkd-paired, atkd-teacher, ctkd-ls, dkd, dkd-ls, dkd-atkd, mlkd, mlkd-ls, mlkd-atkd, quick, paper\)/);
    bad({ strategy: 'magic' }, /flag --strategy: unknown temperature strategy "magic" \(known: static, .*adaptive/);
    bad({ lr: '-1' }, /flag --lr is out of range: -1 is not in \(0, 10\]/);
    bad({ momentum: '1' }, /flag --momentum is out of range: 1 is not in \[0, 1\)/);
    bad({ epochs: '2.5' }, /flag --epochs must be an integer in \[1, 100000\]/);
    bad({ augment: 'maybe' }, /flag --augment must be true or false/);
    bad({ threads: '9' }, /flag --threads is out of range: 9 is not in \[1, 8\]/);
    bad({ threads: '0' }, /flag --threads is out of range: 0 is not in \[1, 8\]/);
    bad({ epochs: '10', milestones: '5,12' }, /milestone 12 is not below epochs \(10\); allowed range \[0, 9\]/);
    bad({ strategyOptions: 'temperature=-2' }, /flag --strategy-options: .*temperature/);
    bad({ teacher: 'x.pth' }, /pass --teacher-arch/);
    bad({ presets: 'kd' }, /method presets .* apply to `atkd distill`/, 'train');
    const file = join(work, 'bad.yaml');
    writeFileSync(file, 'epochs: 3\nlearning_rate: 0.1\n');
    expect(() => resolveConfig({ command: 'distill', file, defaults })).toThrow(/key "learning_rate" in .*bad\.yaml: unknown key for `atkd distill`/);
    writeFileSync(file, 'epochs: [3\n');
    expect(() => resolveConfig({ command: 'distill', file, defaults })).toThrow(/bad\.yaml is not valid YAML/);
    expect(() => resolveConfig({ command: 'distill', file: join(work, 'none.yaml'), defaults })).toThrow(/none\.yaml does not exist/);
  });
});

describe('defaultRunDir', () => {
  it('names runs/<command>-<date>-<time> and never hands out a directory that exists', () => {
    const root = join(work, 'runs');
    const first = defaultRunDir('distill', root);
    expect(first).toMatch(/runs\/distill-\d{8}-\d{6}$/);
    mkdirSync(first, { recursive: true });
    // within the same second the next call moves on to a free suffix
    const second = defaultRunDir('distill', root);
    if (second.startsWith(first)) {
      expect(second).toBe(`${first}-2`);
      mkdirSync(second);
      expect(defaultRunDir('distill', root)).toMatch(/-(3|\d{6})$/);
    }
    expect(second).not.toBe(first);
  });

  it('a config file is typed: a quoted number or boolean is refused, not coerced (was: batchSize "8" taken as 8)', () => {
    const file = join(work, 'quoted.yaml');
    writeFileSync(file, 'batchSize: "8"\n');
    expect(() => resolveConfig({ command: 'distill', file, defaults })).toThrow(new ConfigError(`key "batchSize" in ${file} must be an integer, got the string "8"; write it without quotes`));
    writeFileSync(file, 'augment: "false"\n');
    expect(() => resolveConfig({ command: 'train', file, defaults })).toThrow(/key "augment" in .*quoted\.yaml must be true or false, got the string "false"/);
    writeFileSync(file, 'milestones: "3,4"\n');
    expect(() => resolveConfig({ command: 'train', file, defaults })).toThrow(/key "milestones" in .*quoted\.yaml must be a list of integers, got the string "3,4"/);
    // flags are strings by nature
    expect(resolveConfig({ command: 'distill', flags: { batchSize: '8' }, defaults }).batchSize).toBe(8);
  });

  it('names a bad strategy option of a file plainly (was: key "strategyOptions" in FILE.temperature)', () => {
    const file = join(work, 'opts.yaml');
    writeFileSync(file, 'strategy: static\nstrategyOptions:\n  temperature: abc\n');
    expect(() => resolveConfig({ command: 'distill', file, defaults })).toThrow(new ConfigError(`key "strategyOptions" in ${file}: option "temperature" must be a number or a boolean, got "abc"`));
  });

  it('--preset kd --method atkd is refused: two choices of the method (was: atkd silently)', () => {
    expect(() => resolveConfig({ command: 'distill', flags: { presets: 'kd', method: 'atkd' }, defaults })).toThrow(/preset kd and method atkd both choose the method; give one/);
    expect(resolveConfig({ command: 'distill', flags: { presets: 'atkd', method: 'atkd' }, defaults }).strategy).toBe('adaptive');
    expect(resolveConfig({ command: 'distill', flags: { presets: 'quick', method: 'kd' }, defaults }).strategy).toBe('static');
  });
});
