#!/usr/bin/env node
// The README's main job (`npm run main`): shows that a student learns from the teacher. It trains
// the same resnet8 student twice on the same budget (the same steps over the same training images,
// the same initial weights, shuffle and augmentation, same seed), once alone (cross-entropy, `atkd
// train`) and once distilled from the embedded resnet20 teacher with the adaptive temperature
// (`atkd distill --preset atkd`), evaluates both on the same test images, and prints them side by
// side with the gap and its binomial standard error, saying whether the gap is larger than the noise.
//
// Data: the full CIFAR-100 where it is present: the data directory of `atkd data fetch` / `atkd data
// import` (`$ATKD_DATA_DIR`, default ~/.cache/atkd/cifar-100), else the official binary at
// ../shared/data/cifar-100-binary next to the repository (imported into that data directory once);
// else the embedded 400/200-image sample, where no gap means anything (it says so). `--data DIR` picks
// a data directory, `--data sample` the sample.
//
// Budget (the default fits about five minutes on two cores with the wasm engine): --steps 160 of
// --batch-size 64 (10,240 training images) and every test image (--test-limit N to cap). It builds
// nothing: run `npm run build` first (the README's set-up command does). Flags: --steps N,
// --batch-size N, --test-limit N, --seed N, --out DIR, --data DIR|sample, --json, --quiet.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
if (!existsSync(cli) || !existsSync(join(root, 'libs', 'data', 'dist', 'index.js'))) {
  console.error(`main job: ${relative(process.cwd(), cli)} is missing; build the workspace first: npm run build`);
  process.exit(1);
}
const { defaultDataDir, sampleDataDir } = await import('@atkd/data');

// ---- flags
const FLAGS = { steps: 'N', 'batch-size': 'N', 'test-limit': 'N', 'eval-batch-size': 'N', seed: 'N', out: 'DIR', data: 'DIR|sample', json: null, quiet: null, 'no-plots': null, help: null };
const flags = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
  if (m === null || !(m[1] in FLAGS)) fail(`unknown argument ${JSON.stringify(argv[i])} (flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`, 2);
  if (FLAGS[m[1]] === null) flags[m[1]] = true;
  else {
    const v = m[2] ?? argv[++i];
    if (v === undefined) fail(`flag --${m[1]} needs a value (${FLAGS[m[1]]})`, 2);
    flags[m[1]] = v;
  }
}
if (flags.help) {
  console.log(`Usage: npm run main [-- flags]\n\nThe resnet8 student alone vs distilled from the embedded teacher, same budget, same test images.\n\nFlags:\n${Object.entries(FLAGS).map(([f, v]) => `  --${f}${v ? ` ${v}` : ''}`).join('\n')}`);
  process.exit(0);
}
function fail(message, code = 1) {
  console.error(`main job: ${message}`);
  process.exit(code);
}
function int(name, dflt, min) {
  if (flags[name] === undefined) return dflt;
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < min) fail(`flag --${name} must be an integer >= ${min}, got ${JSON.stringify(flags[name])}`, 2);
  return v;
}
const steps = int('steps', 160, 1);
const batchSize = int('batch-size', 64, 1);
const testLimit = flags['test-limit'] === undefined ? null : int('test-limit', 0, 1);
const evalBatchSize = int('eval-batch-size', 500, 1);
const seed = int('seed', 1, 0);
const json = flags.json === true;
const quiet = flags.quiet === true || json;
const say = (line) => {
  if (!json) console.error(`main job: ${line}`);
};

// ---- data: the full CIFAR-100 where present, else the embedded sample
function has(dir, a, b) {
  return existsSync(join(dir, a)) && existsSync(join(dir, b));
}
async function run(args, what) {
  say(`${what}: atkd ${args.join(' ')}`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  const code = await new Promise((r) => child.on('exit', (c, signal) => r(c ?? (signal ? 130 : 1))));
  if (code !== 0) fail(`${what} failed (exit ${code})`, code);
}
let data;
if (flags.data === 'sample') data = { dir: sampleDataDir(), full: false };
else if (flags.data !== undefined) {
  const dir = resolve(flags.data);
  if (!has(dir, 'train.arrow', 'test.arrow')) fail(`--data ${flags.data}: no train.arrow and test.arrow there (atkd data import --from <cifar-100-binary> --to ${flags.data})`, 2);
  data = { dir, full: true };
} else {
  const cache = defaultDataDir();
  const shared = resolve(root, '..', 'shared', 'data', 'cifar-100-binary');
  if (has(cache, 'train.arrow', 'test.arrow')) data = { dir: cache, full: true };
  else if (has(shared, 'train.bin', 'test.bin')) {
    say(`importing the full CIFAR-100 from ${shared} into ${cache} (once; later runs reuse it)`);
    await run(['data', 'import', '--from', shared, '--to', cache, ...(quiet ? ['--quiet'] : [])], 'import');
    data = { dir: cache, full: true };
  } else data = { dir: sampleDataDir(), full: false };
}
const train = join(data.dir, 'train.arrow');
const test = join(data.dir, 'test.arrow');
say(
  data.full
    ? `data: the full CIFAR-100 in ${data.dir}`
    : `data: the embedded sample (400 training, 200 test images) in ${relative(root, data.dir)}; the full CIFAR-100 is not present (\`atkd data fetch\` puts it in ${defaultDataDir()}), so the comparison below cannot be meaningful`,
);

// ---- the two runs: the same student, steps, images, seed and test images; only the loss differs
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const out = resolve(flags.out ?? join(root, 'runs', `main-${stamp}`));
if (existsSync(out)) fail(`--out ${out} exists already; choose another`, 2);
mkdirSync(out, { recursive: true });
const common = [
  '--student', 'resnet8', '--train', train, '--test', test,
  '--epochs', '1', '--steps-per-epoch', String(steps), '--batch-size', String(batchSize),
  '--lr', '0.05', '--momentum', '0.9', '--weight-decay', '5e-4', '--augment', 'true', '--seed', String(seed),
  '--eval-batch-size', String(evalBatchSize), ...(testLimit === null ? [] : ['--test-limit', String(testLimit)]),
  ...(flags['no-plots'] ? ['--no-plots'] : []), ...(quiet ? ['--quiet'] : []),
];
say(`budget: ${steps} steps of ${batchSize} images for each student; both are tested on the same ${testLimit === null ? 'test images (all of them)' : `first ${testLimit} test images`}; runs in ${relative(process.cwd(), out) || '.'}`);
// Ctrl-C reaches the children through the terminal's process group; each writes its checkpoint.
process.on('SIGINT', () => undefined);
const started = performance.now();
await run(['train', ...common, '--out', join(out, 'alone')], '[1/2] the student alone (cross-entropy)');
await run(['distill', '--preset', 'atkd', ...common, '--out', join(out, 'distilled')], '[2/2] the student distilled from the teacher (adaptive temperature)');
const seconds = (performance.now() - started) / 1000;

// ---- the comparison
const summary = (name) => JSON.parse(readFileSync(join(out, name, 'summary.json'), 'utf8'));
const alone = summary('alone');
const distilled = summary('distilled');
const n = distilled.student.count;
if (alone.student.count !== n) fail(`the two runs were tested on different numbers of images (${alone.student.count} vs ${n})`);
const pa = alone.student.top1;
const pd = distilled.student.top1;
const gap = pd - pa;
// binomial standard error of the difference of two accuracies on n images each (treated as
// independent: on the same images the errors are positively correlated, so this overstates it)
const se = Math.sqrt((pa * (1 - pa) + pd * (1 - pd)) / n) || 1 / n;
const z = gap / se;
const verdict = !data.full
  ? `not meaningful: ${n} test images of the embedded sample; run \`atkd data fetch\` for the full CIFAR-100`
  : Math.abs(z) >= 2
    ? `meaningful: ${Math.abs(z).toFixed(1)} standard errors${gap > 0 ? '; the student learned from the teacher' : '; distillation did worse here'}`
    : `not meaningful: within 2 standard errors (${Math.abs(z).toFixed(1)}); a larger budget (--steps) would tell`;
const pct = (p) => `${(100 * p).toFixed(2).padStart(6)}%`;
// the same for top-5 (on a small budget the teacher's soft targets often show there first)
const qa = alone.student.top5;
const qd = distilled.student.top5;
const gap5 = qd - qa;
const se5 = Math.sqrt((qa * (1 - qa) + qd * (1 - qd)) / n) || 1 / n;
const z5 = gap5 / se5;
const verdict5 = !data.full ? 'not meaningful (embedded sample)' : Math.abs(z5) >= 2 ? `meaningful: ${Math.abs(z5).toFixed(1)} standard errors` : `not meaningful: within 2 standard errors (${Math.abs(z5).toFixed(1)})`;
const result = {
  data: data.full ? 'full CIFAR-100' : 'embedded sample',
  dataDir: data.dir,
  steps,
  batchSize,
  trainImages: steps * batchSize,
  testImages: n,
  teacher: distilled.teacher,
  alone: { top1: pa, top5: alone.student.top5, runDir: join(out, 'alone') },
  distilled: { top1: pd, top5: distilled.student.top5, runDir: join(out, 'distilled'), meanTemperature: distilled.temperature?.mean ?? null },
  gap,
  standardError: se,
  gapTop5: gap5,
  standardErrorTop5: se5,
  meaningfulTop5: data.full && Math.abs(z5) >= 2,
  meaningful: data.full && Math.abs(z) >= 2,
  verdict,
  seconds,
};
if (json) {
  console.log(JSON.stringify(result));
} else {
  const lines = [
    '',
    `the same resnet8 student, ${steps} steps of ${batchSize} (${(steps * batchSize).toLocaleString('en-US')} training images), on ${result.data}; ${n.toLocaleString('en-US')} test images:`,
    ...(distilled.teacher ? [`  teacher ${distilled.teacher.model ?? 'resnet20'}                        top-1 ${pct(distilled.teacher.top1)}  top-5 ${pct(distilled.teacher.top5)}`] : []),
    `  student alone (cross-entropy)          top-1 ${pct(pa)}  top-5 ${pct(alone.student.top5)}`,
    `  student distilled (adaptive T, atkd)   top-1 ${pct(pd)}  top-5 ${pct(distilled.student.top5)}`,
    `  gap ${gap >= 0 ? '+' : ''}${(100 * gap).toFixed(2)} points of top-1, standard error ${(100 * se).toFixed(2)}: ${verdict}`,
    `  gap ${gap5 >= 0 ? '+' : ''}${(100 * gap5).toFixed(2)} points of top-5, standard error ${(100 * se5).toFixed(2)}: ${verdict5}`,
    `  (${seconds.toFixed(0)} s; runs in ${relative(process.cwd(), out) || '.'})`,
  ];
  console.log(lines.join('\n'));
}
