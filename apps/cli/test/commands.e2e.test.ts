// End-to-end: spawn the built CLI (dist/main.js) for every command on tiny data (the embedded sample,
// a synthetic CIFAR-100 folder), tiny runs (a few steps of batch 16), and check exit codes, output and files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModels } from '@atkd/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TINY, atkd, atkdInterrupted, syntheticCifarFolder } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-cli-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TORCH_R8_10 = join(ROOT, 'libs', 'models', 'test', 'fixtures', 'parity', 'resnet8.pth'); // resnet8, 10 classes
const EMBEDDED = join(ROOT, 'apps', 'cli', 'assets', 'teacher-resnet20.pth');

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A tiny teacher: `atkd train` for a few steps; its `best` checkpoint is a TF.js model directory. */
const teacherRun = join(work, 'teacher');
const teacherDir = join(teacherRun, 'checkpoints', 'best');

beforeAll(() => {
  const r = atkd(['train', '--student', 'resnet8', '--epochs', '1', '--out', teacherRun, ...TINY]);
  expect(r.code, r.stderr).toBe(0);
});

describe('atkd models / verify / data', () => {
  it('models lists the zoo with params and MACs / FLOPs', () => {
    const r = atkd(['models']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resnet8\s+resnet\s+83\.9 K\s+12\.51 M\s+25\.01 M/);
    const j = atkd(['models', '--json']);
    const rows = JSON.parse(j.stdout) as Array<{ name: string; params: number; macs: number; flops: number }>;
    expect(rows.map((m) => m.name)).toEqual(listModels().map((m) => m.name));
    const r20 = rows.find((m) => m.name === 'resnet20');
    expect(r20?.params).toBe(listModels().find((m) => m.name === 'resnet20')?.params);
    expect(r20?.flops).toBe(2 * (r20?.macs ?? 0));
  });

  it('verify runs the six math properties (DKD included) with a chosen seed and runs, and reports them', () => {
    const r = atkd(['verify', '--runs', '25', '--seed', '7', '--json']);
    const rep = JSON.parse(r.stdout) as { seed: number; runs: number; passed: number; failed: number; results: Array<{ name: string; runs: number; seed: number; passed: boolean; error?: string }> };
    expect(rep.results.map((p) => p.name)).toEqual(['radius', 'taylor', 'correlation', 'invariance', 'reference', 'dkd']);
    expect(rep.results.map((p) => p.seed)).toEqual([7, 8, 9, 10, 11, 12]);
    for (const p of rep.results) expect(p.passed, `${p.name}: ${p.error}`).toBe(true);
    expect(rep.results.every((p) => p.runs === 25)).toBe(true);
    expect(r.code).toBe(0);
    const text = atkd(['verify', '--runs', '5', '--property', 'radius,taylor']);
    expect(text.stdout).toMatch(/PASS {2}radius[\s\S]*\nPASS {2}taylor[\s\S]*2 passed, 0 failed \(5 runs each, seed 20250312\)/);
    const bad = atkd(['verify', '--property', 'beauty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown property "beauty" \(known: radius, taylor, correlation, invariance, reference, dkd\)/);
  });

  describe('data on a synthetic CIFAR-100 folder', () => {
    const src = join(work, 'cifar-100-binary');
    const dataDir = join(work, 'data');
    beforeAll(() => {
      syntheticCifarFolder(src, 3, 1);
      const imp = atkd(['data', 'import', '--from', src, '--to', dataDir, '--json']);
      expect(imp.code, imp.stderr).toBe(0);
      expect(JSON.parse(imp.stdout).rows).toEqual({ train: 300, test: 100 });
    });

    it('info of an imported file verifies its checksums; a data directory stands for its two files (was: a raw EISDIR)', () => {
      const info = atkd(['data', 'info', join(dataDir, 'train.arrow'), '--json']);
      expect(info.code).toBe(0);
      expect(JSON.parse(info.stdout)[0]).toMatchObject({ split: 'train', rows: 300, fineClasses: 100, perFineClass: { min: 3, max: 3 }, checksums: 'verified' });
      const dirInfo = atkd(['data', 'info', dataDir]);
      expect(dirInfo.code, dirInfo.stderr).toBe(0);
      expect(dirInfo.stdout).toMatch(/train\.arrow: train split, 300 rows[\s\S]*checksums: verified[\s\S]*test\.arrow: test split, 100 rows/);
      const embedded = atkd(['data', 'info']);
      expect(embedded.stdout).toMatch(/train split, 400 rows/);
      expect(embedded.stdout).toMatch(/test split, 200 rows/);
    });

    it('info finds a flipped byte (was: info exited 0; eval reported a loss of 8,078) and names a missing file', () => {
      const flipped = join(work, 'flipped.arrow');
      const bytes = readFileSync(join(dataDir, 'train.arrow'));
      bytes[Math.floor(bytes.length / 2)] ^= 1;
      writeFileSync(flipped, bytes);
      const bad = atkd(['data', 'info', flipped]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/flipped\.arrow: record batch 0 \(rows 0\.\.299\) is corrupted/);
      const missing = atkd(['data', 'info', join(work, 'nope.arrow')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/nope\.arrow: no such file/);
    });

    it('sample takes n images per class of each split', () => {
      const sample = atkd(['data', 'sample', '--from', dataDir, '--out', join(work, 'sample'), '--train-per-class', '2', '--test-per-class', '1']);
      expect(sample.code, sample.stderr).toBe(0);
      expect(sample.stdout).toMatch(/train\.arrow \(200 rows\).*test\.arrow \(100 rows\)/);
    });

    it('import of a corrupt binary fails naming the file, and writes nothing', () => {
      const corruptSrc = join(work, 'cifar-100-corrupt');
      syntheticCifarFolder(corruptSrc, 3, 1);
      rmSync(join(corruptSrc, 'test.bin'));
      writeFileSync(join(corruptSrc, 'test.bin'), Buffer.alloc(3074 * 2 + 5));
      const corrupt = atkd(['data', 'import', '--from', corruptSrc, '--to', join(work, 'data2'), '--quiet']);
      expect(corrupt.code).toBe(1);
      expect(corrupt.stderr).toMatch(/test\.bin.*not a whole number of 3074-byte records/);
      expect(existsSync(join(work, 'data2', 'train.arrow'))).toBe(false);
    });

    it('fetch without a network fails at once naming the URL (never the real one in tests)', () => {
      const offline = atkd(['data', 'fetch', '--url', 'http://127.0.0.1:9/cifar-100-binary.tar.gz', '--to', join(work, 'data3'), '--quiet']);
      expect(offline.code).toBe(1);
      expect(offline.stderr).toMatch(/atkd data fetch: http:\/\/127\.0\.0\.1:9\/cifar-100-binary\.tar\.gz: /);
    });
  });
});

describe('atkd train / distill / eval / report', () => {
  it('train writes a run directory: config, metrics, checkpoints latest and best, summary, plots', () => {
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoints/latest/model.json', 'checkpoints/latest/weights.bin', 'checkpoints/latest/optimizer.bin', 'checkpoints/latest/state.json', 'checkpoints/best/model.json', 'plots/accuracy.svg', 'plots/loss.svg']) {
      expect(existsSync(join(teacherRun, f)), f).toBe(true);
    }
    const records = lines(join(teacherRun, 'metrics.jsonl'));
    expect(records.filter((r) => r.type === 'step')).toHaveLength(2);
    expect(records.filter((r) => r.type === 'epoch')).toHaveLength(1);
    expect(json(join(teacherRun, 'summary.json'))).toMatchObject({ status: 'completed', command: 'train', steps: 2, teacher: null, student: { model: 'resnet8', count: 32 } });
    expect(json(join(teacherRun, 'config.json'))).toMatchObject({ command: 'train', gamma: 1, beta: 0, batchSize: 16 });
  });

  describe('distill of a TF.js teacher directory, then eval and report of its run directory', () => {
    const out = join(work, 'distill');
    let summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    let epochs: Record<string, unknown>[];
    beforeAll(() => {
      const cfg = join(work, 'distill.yaml');
      writeFileSync(cfg, `preset: [quick, atkd-paired]\nepochs: 3\nlr: 0.02\nteacher: ${teacherDir}\n`);
      const r = atkd(['distill', '--config', cfg, '--epochs', '2', '--out', out, '--json', ...TINY]);
      expect(r.code, r.stderr).toBe(0);
      summary = JSON.parse(r.stdout);
      epochs = lines(join(out, 'metrics.jsonl')).filter((x) => x.type === 'epoch');
    });

    it('--json prints the summary; flags override the YAML config, which overrides the presets', () => {
      expect(summary).toMatchObject({ status: 'completed', command: 'distill', epochs: 2, epochsDone: 2, steps: 4 });
      expect(summary.teacher.count).toBe(32);
      expect(summary.temperature.mean).toBeGreaterThan(0);
      expect(summary.temperature.min).toBeLessThanOrEqual(summary.temperature.mean);
      expect(summary.throughput.imgPerSec).toBeGreaterThan(0);
      expect(json(join(out, 'config.json'))).toMatchObject({ epochs: 2, lr: 0.02, strategy: 'adaptive-paired', presets: ['quick', 'atkd-paired'] });
    });

    it('metrics.jsonl: per epoch the KD loss, rho and a histogram of every sample temperature', () => {
      expect(epochs).toHaveLength(2);
      for (const e of epochs) {
        expect(e.train_kd as number).toBeGreaterThan(0);
        expect(Math.abs(e.train_rho as number)).toBeLessThanOrEqual(1);
        const h = e.t_hist as { edges: number[]; counts: number[] };
        expect(h.counts.reduce((a, b) => a + b, 0)).toBe(32); // every sample's temperature of the epoch
      }
    });

    it('plots: Figure 1 (KD loss), temperature, accuracy and loss as SVG', () => {
      for (const p of ['figure1', 'temperature', 'accuracy', 'loss']) {
        const svg = readFileSync(join(out, 'plots', `${p}.svg`), 'utf8');
        expect(svg.startsWith('<svg')).toBe(true);
        expect(svg).toContain('<path');
      }
      expect(readFileSync(join(out, 'plots', 'figure1.svg'), 'utf8')).toContain('KD loss');
    });

    it('eval of the run directory (its best checkpoint) reproduces the recorded test accuracy of that epoch', () => {
      const ev = atkd(['eval', out, '--limit', '32', '--batch-size', '32', '--json']);
      expect(ev.code, ev.stderr).toBe(0);
      const e = JSON.parse(ev.stdout) as { top1: number; top5: number; count: number };
      const best = epochs.reduce((a, b) => ((b.test_top1 as number) > (a.test_top1 as number) ? b : a));
      expect(e.count).toBe(32);
      expect(e.top1).toBeCloseTo(best.test_top1 as number, 10);
      expect(e.top5).toBeCloseTo(best.test_top5 as number, 10);
    });

    it('report re-renders the plots into another directory', () => {
      const rep = atkd(['report', out, '--out', join(work, 'plots2')]);
      expect(rep.code, rep.stderr).toBe(0);
      expect(readdirSync(join(work, 'plots2')).filter((f) => f.endsWith('.svg')).sort()).toEqual(['accuracy.svg', 'figure1.svg', 'loss.svg', 'temperature.svg']);
      expect(rep.stdout).toMatch(/student {2}resnet8/);
    });
  });

  it('every method preset runs a step', () => {
    for (const method of ['kd', 'ls', 'ctkd', 'dtkd', 'atkd']) {
      const out = join(work, `m-${method}`);
      const r = atkd(['distill', '--teacher', teacherDir, '--method', method, '--epochs', '1', '--steps-per-epoch', '1', '--batch-size', '8', '--test-limit', '8', '--quiet', '--no-plots', '--out', out]);
      expect(r.code, `${method}: ${r.stderr}`).toBe(0);
      const step = lines(join(out, 'metrics.jsonl'))[0];
      expect(Number.isFinite(step.loss as number), method).toBe(true);
      expect(step.t_mean as number, method).toBeGreaterThan(0);
    }
  });

  describe('bad input: clear errors and non-zero exits', () => {
    beforeAll(() => writeFileSync(join(work, 'garbage.arrow'), 'this is not arrow'));
    const cases: Array<[string[], number, RegExp]> = [
      [['distill', '--student', 'resnet9'], 2, /flag --student: unknown model "resnet9" \(known: resnet8,/],
      [['distill', '--preset', 'turbo'], 2, /unknown preset "turbo" \(known: kd, ls, ctkd, dtkd, atkd, atkd-paired, atkd-teacher, ctkd-ls, dkd, dkd-ls, dkd-atkd, mlkd, mlkd-ls, mlkd-atkd, quick, paper\)/],
      [['distill', '--strategy', 'hot'], 2, /unknown temperature strategy "hot" \(known: static,/],
      [['distill', '--batch-size', '0'], 2, /flag --batch-size is out of range: 0 is not in \[1, 8192\]/],
      [['distill', '--teacher', teacherDir, '--train', join(work, 'missing.arrow')], 1, /training data .*missing\.arrow does not exist/],
      [['distill', '--teacher', join(work, 'no-teacher')], 2, /teacher .*no-teacher does not exist/],
      [['distill', '--teacher', TORCH_R8_10, '--teacher-arch', 'resnet14', ...TINY], 1, /resnet8\.pth.*(missing|shape|does not match|classes)/i],
      [['distill', '--teacher', TORCH_R8_10, '--teacher-arch', 'resnet8', ...TINY], 1, /resnet8\.pth.*10.*(classes|100)/],
      [['eval', TORCH_R8_10], 2, /PyTorch checkpoint: pass --arch/],
      // old spellings name the new flag
      [['eval', TORCH_R8_10, '--model', 'resnet8'], 2, /flag --model was renamed: use --arch NAME/],
      [['distill', '--teacher-model', 'resnet8'], 2, /flag --teacher-model was renamed: use --teacher-arch NAME/],
      [['stage', 'teacher', '--model', 'x'], 2, /flag --model was renamed: use --teacher DIR\|FILE\.pth/],
      [['train', '--frobnicate'], 2, /unknown flag --frobnicate/],
      [['train', '--train', join(work, 'garbage.arrow'), ...TINY], 1, /training data .*garbage\.arrow is not a CIFAR-100 Arrow file/],
    ];
    // named without the temporary directory, so a test's name is the same in every run
    const named = cases.map(([args, code, pattern]) => ({ name: args.join(' ').replaceAll(work, '$WORK').replaceAll(ROOT, '.'), args, code, pattern }));
    it.each(named)('atkd $name exits $code with a message naming the problem', ({ args, code, pattern }) => {
      const r = atkd(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
    });

    it('an existing run is not overwritten', () => {
      const again = atkd(['train', '--out', teacherRun, ...TINY]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already holds a run.*--resume/);
    });
  });

  it('a run that fails before its first step leaves no directory; one stopped before its first checkpoint starts again', () => {
    // bad teacher, forced engine missing: checked before the run directory is written (was: config.json alone, unusable)
    writeFileSync(join(work, 'bad-teacher.pth'), 'not a checkpoint');
    for (const args of [['--teacher', join(work, 'bad-teacher.pth'), '--teacher-arch', 'resnet8'], ['--teacher', teacherDir, '--backend', 'tfjs-node']]) {
      const out = join(work, `never-${args.length}-${args[1].length}`);
      const r = atkd(['distill', ...args, '--out', out, ...TINY]);
      expect(r.code, r.stderr).toBe(1);
      expect(existsSync(out), `${args.join(' ')} left ${out}`).toBe(false);
    }
    // a directory holding only config.json (killed in its first seconds) is started again, with or without --resume
    const stranded = join(work, 'stranded');
    mkdirSync(stranded);
    writeFileSync(join(stranded, 'config.json'), '{}');
    const a = atkd(['train', '--out', stranded, '--epochs', '1', '--no-plots', ...TINY]);
    expect(a.code, a.stderr).toBe(0);
    expect(json(join(stranded, 'summary.json')).status).toBe('completed');
    rmSync(join(stranded, 'checkpoints'), { recursive: true });
    const b = atkd(['train', '--resume', stranded, '--no-plots']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/has no checkpoint yet \(the run stopped before its first one\): starting it again/);
    // eval of a run directory says which checkpoint it evaluates when best is missing (was: latest, silently)
    rmSync(join(stranded, 'checkpoints', 'best'), { recursive: true });
    const e = atkd(['eval', stranded, '--limit', '8']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/warning: .*stranded has no checkpoints\/best although latest records a best at epoch 1; evaluating latest/);
    // one short line about the engine; the full report behind --verbose
    expect(e.stderr).toMatch(/^engine: \S+/m);
    expect(e.stderr).not.toContain('[atkd/backend]');
    expect(atkd(['eval', stranded, '--limit', '8', '--verbose']).stderr).toContain('[atkd/backend] using');
    // a training file holding the test split is accepted with a warning
    const t = atkd(['train', '--train', join(ROOT, 'libs', 'data', 'sample', 'test.arrow'), '--epochs', '1', '--out', join(work, 'on-test'), '--no-plots', ...TINY]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/warning: the training data .*test\.arrow holds the test split/);
  });

  it('the main job (tools/main-job.mjs): the same student alone and distilled, same budget and test images, with the gap and whether it means anything', () => {
    // the embedded teacher asset replaced by the tiny teacher (ATKD_TEACHER), the embedded sample as data
    const out = join(work, 'main-job');
    const r = spawnSync(process.execPath, [join(ROOT, 'tools', 'main-job.mjs'), '--data', 'sample', '--steps', '2', '--batch-size', '16', '--test-limit', '32', '--eval-batch-size', '32', '--out', out, '--no-plots', '--quiet'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ATKD_TEACHER: teacherDir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/main job: data: the embedded sample \(400 training, 200 test images\).*cannot be meaningful/);
    expect(r.stderr).toMatch(/main job: \[1\/2\] the student alone \(cross-entropy\): atkd train /);
    expect(r.stderr).toMatch(/main job: \[2\/2\] the student distilled from the teacher \(adaptive temperature\): atkd distill --preset atkd /);
    expect(r.stdout).toMatch(/^ {2}student alone \(cross-entropy\) +top-1 +\d+\.\d\d%/m);
    expect(r.stdout).toMatch(/^ {2}student distilled \(adaptive T, atkd\) +top-1 +\d+\.\d\d%/m);
    expect(r.stdout).toMatch(/^ {2}gap [+-]\d+\.\d\d points of top-1, standard error \d+\.\d\d: not meaningful: 32 test images of the embedded sample/m);
    // the same budget, data, seed and test images; only the loss differs
    const alone = json(join(out, 'alone', 'config.json'));
    const distilled = json(join(out, 'distilled', 'config.json'));
    for (const key of ['student', 'train', 'test', 'epochs', 'stepsPerEpoch', 'batchSize', 'lr', 'seed', 'augment', 'testLimit']) expect(distilled[key], key).toEqual(alone[key]);
    expect(alone).toMatchObject({ command: 'train', student: 'resnet8', stepsPerEpoch: 2, testLimit: 32 });
    expect(distilled).toMatchObject({ command: 'distill', strategy: 'adaptive' });
    expect(alone.train).toMatch(/libs\/data\/sample\/train\.arrow$/);
    const j = spawnSync(process.execPath, [join(ROOT, 'tools', 'main-job.mjs'), '--data', 'sample', '--steps', '1', '--batch-size', '8', '--test-limit', '16', '--eval-batch-size', '16', '--out', join(work, 'main-job-json'), '--no-plots', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ATKD_TEACHER: teacherDir } });
    expect(j.status, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ data: 'embedded sample', steps: 1, batchSize: 8, testImages: 16, meaningful: false });
  });

  it.runIf(existsSync(EMBEDDED))('the embedded default (teacher asset + sample) distills', () => {
    const out = join(work, 'embedded');
    const r = atkd(['distill', '--epochs', '1', '--out', out, '--no-plots', ...TINY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/teacher {2}resnet20 +top-1 \d+\.\d\d%/);
    expect(r.stdout).toMatch(/mean temperature \d/);
    expect(r.stdout).toMatch(/throughput \d+\.\d img\/s/);
  });
});

describe('--resume after Ctrl-C', () => {
  it('an interrupted run resumed from latest ends where an uninterrupted run ends (same weights, optimizer state, metrics)', async () => {
    const args = (out: string) => ['distill', '--teacher', teacherDir, '--epochs', '2', '--batch-size', '16', '--steps-per-epoch', '3', '--test-limit', '32', '--eval-batch-size', '32', '--seed', '5', '--no-plots', '--out', out];
    const full = join(work, 'full');
    const a = atkd(args(full));
    expect(a.code, a.stderr).toBe(0);

    const cut = join(work, 'cut');
    const b = await atkdInterrupted(args(cut), /epoch 1\/2 \[[#.]+\] +33%/); // after the first of 6 steps
    expect(b.interrupted).toBe(true);
    expect(b.code, b.stderr).toBe(130);
    expect(b.stderr).toMatch(/writing a checkpoint/);
    // the hint runs this very CLI (was `atkd distill ...`, which `npx` could fetch from the registry)
    expect(b.stdout).toMatch(/resume with: node apps\/cli\/dist\/main\.js distill --resume /);
    const sb = json(join(cut, 'summary.json'));
    expect(sb.status).toBe('interrupted');
    expect(sb.steps).toBeLessThan(6);
    expect(json(join(cut, 'checkpoints', 'latest', 'state.json')).step).toBe(sb.steps);

    const c = atkd(['distill', '--resume', cut, '--quiet', '--no-plots']);
    expect(c.code, c.stderr).toBe(0);
    expect(json(join(cut, 'summary.json'))).toMatchObject({ status: 'completed', steps: 6, epochsDone: 2 });
    for (const f of ['weights.bin', 'optimizer.bin']) {
      expect(readFileSync(join(cut, 'checkpoints', 'latest', f)).equals(readFileSync(join(full, 'checkpoints', 'latest', f))), f).toBe(true);
    }
    const strip = (r: Record<string, unknown>) => {
      const { img_s: _i, seconds: _s, ...rest } = r;
      return rest;
    };
    expect(lines(join(cut, 'metrics.jsonl')).map(strip)).toEqual(lines(join(full, 'metrics.jsonl')).map(strip));
    const sa = json(join(full, 'summary.json'));
    const sc = json(join(cut, 'summary.json'));
    expect(sc.student).toEqual(sa.student);
    expect(sc.temperature).toEqual(sa.temperature);

    // a checkpoint that does not match the config is refused
    const cfg = json(join(cut, 'config.json'));
    writeFileSync(join(cut, 'config.json'), JSON.stringify({ ...cfg, student: 'resnet14' }));
    const d = atkd(['distill', '--resume', cut, '--epochs', '3', '--quiet']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/checkpoint .*latest holds a resnet8 student, the config asks for resnet14: the checkpoint does not match/);
    const e = atkd(['distill', '--resume', full, '--lr', '0.5', '--quiet']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/lr cannot change when resuming/);
  });
});
