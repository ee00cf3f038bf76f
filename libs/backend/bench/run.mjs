// `nx run backend:bench`: training and inference img/s of RepDistiller's resnet8 / resnet20
// (batch 64) on atkd's engine, before and after atkd's wasm kernels, on one and two cores, side by
// side with PyTorch (tools/backend-torch-bench.py: same architecture, batch, thread count).
// The machine may be shared, so each atkd measurement is immediately followed by the matching
// PyTorch one, in several short rounds; ratios are per round and the median is reported.
// Options: --seconds S (per slice, default 2), --rounds R (default 3), --depths 8,20, --no-torch, --profile.
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  DataParallelTrainer, initBackend, registerWasmTrainingKernels, unregisterWasmTrainingKernels,
} from '@atkd/backend';
import { cifarResNet, makeTrainStep } from './resnet.mjs';
import { installBeforeFallback, removeBeforeFallback } from './before-kernels.mjs';
import { PyTorchPeer } from './peer.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const SECONDS = Number(opt('seconds', '2'));
const ROUNDS = Number(opt('rounds', '3'));
const DEPTHS = opt('depths', '8,20').split(',').map(Number);
const BATCH = 64;
const log = (s) => process.stderr.write(s + '\n');
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined; };

/** img/s of fn (one call = one batch) over at least SECONDS and `minCalls` calls. */
async function rate(fn, minCalls = 2) {
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    await fn();
    n++;
    const dt = (performance.now() - t0) / 1000;
    if (dt >= SECONDS && n >= minCalls) return (n * BATCH) / dt;
  }
}

/** Alternates `ours` and the PyTorch peer for ROUNDS rounds; returns medians and the median per-round ratio. */
async function compare(label, ours, peer, rounds = ROUNDS) {
  const a = [], t = [], r = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    const p = await peer();
    if (p !== undefined) { t.push(p); r.push(a[i] / p); }
    log(`  ${label} round ${i + 1}: atkd ${a[i].toFixed(1)} img/s` + (p !== undefined ? `, PyTorch ${p.toFixed(1)} img/s, ratio ${(a[i] / p).toFixed(2)}` : '') +
      ` (load ${loadavg()[0].toFixed(1)})`);
  }
  return { atkd: median(a), torch: median(t), ratio: median(r) };
}

function singleThread(depth) {
  const model = cifarResNet(depth);
  const s = makeTrainStep(model, BATCH);
  return { s, dispose: () => { s.dispose(); model.dispose(); } };
}

async function dataParallel(depth) {
  const model = cifarResNet(depth);
  const trainer = await DataParallelTrainer.create({
    model, optimizer: tf.train.momentum(0.05, 0.9), workers: 1,
    builder: { module: join(here, 'resnet.mjs'), exportName: 'cifarResNet', args: depth },
  });
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 100, 'int32', 2), 100);
  return {
    step: () => trainer.step(x, y),
    dispose: async () => { await trainer.dispose(); tf.dispose([x, y]); model.dispose(); },
  };
}

/** A worker thread whose wasm runs `threads` XNNPACK threads. */
async function threadedWorker(threads) {
  const w = new Worker(join(here, 'threaded-worker.mjs'), { workerData: { threads } });
  const ready = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
  if (ready.threads !== threads) log(`  (the threaded worker got ${ready.threads} threads: ${ready.note})`);
  const ask = (msg) => new Promise((res, rej) => { w.once('message', res); w.once('error', rej); w.postMessage(msg); });
  return {
    rate: async (depth, mode) => (await ask({ depth, mode, seconds: SECONDS, batch: BATCH })).rate,
    close: async () => { w.postMessage({ type: 'close' }); await w.terminate(); },
  };
}

/** KD-style step: teacher (resnet20) inference + student (resnet8) training per batch. */
async function kdSetups() {
  const student = cifarResNet(8);
  const teacher = cifarResNet(20);
  const s = makeTrainStep(student, BATCH);
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 3);
  const sequential = () => { const y = tf.tidy(() => teacher.apply(x, { training: false })); y.dataSync(); y.dispose(); s.step(); };
  const worker = new Worker(join(here, 'teacher-worker.mjs'), { workerData: { depth: 20 } });
  await new Promise((res) => worker.once('message', res));
  const xData = x.dataSync().slice();
  const ask = () => new Promise((res) => {
    worker.once('message', res);
    const copy = xData.slice();
    worker.postMessage({ x: copy, shape: x.shape }, [copy.buffer]);
  });
  let inflight = null;
  const pipelined = async () => {
    inflight ??= ask();
    const next = inflight;
    s.step(); // the student trains while the worker computes the teacher's logits for this batch
    await next;
    inflight = ask();
  };
  return {
    sequential, pipelined,
    dispose: async () => {
      if (inflight) await inflight;
      worker.postMessage({ type: 'close' });
      await worker.terminate();
      s.dispose(); tf.dispose(x); student.dispose(); teacher.dispose();
    },
  };
}

async function profileStep(depth) {
  const { s, dispose } = singleThread(depth);
  s.step(); s.step();
  const prof = await tf.profile(() => { s.step(); });
  const agg = new Map();
  for (const k of prof.kernels) {
    const a = agg.get(k.name) ?? { ms: 0, n: 0 };
    a.ms += k.kernelTimeMs; a.n++;
    agg.set(k.name, a);
  }
  dispose();
  const total = [...agg.values()].reduce((x, v) => x + v.ms, 0);
  return { total, top: [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([name, v]) => ({ name, ms: v.ms, calls: v.n })) };
}

// The main thread measures the one-thread rows; the multi-threaded XNNPACK rows come from a worker
// thread with its own wasm instance (threaded-worker.mjs).
const info = await initBackend({ prefer: 'wasm', log: false, wasmThreads: 1 });
const loadStart = loadavg()[0];
log(`atkd engine: ${info.name}; batch ${BATCH}; ${ROUNDS} rounds of ${SECONDS}s slices; ${cpus().length} cores, load average ${loadStart.toFixed(2)}`);
const torch = await PyTorchPeer.start(root, BATCH, args.includes('--no-torch'));
if (torch.skipped) log(torch.skipped);
const fmt = (v) => (typeof v === 'number' ? v.toFixed(1) : '—');
const fx = (v) => (typeof v === 'number' ? v.toFixed(2) + 'x' : '—');
const T = (depth, mode, threads) => () => torch.rate(depth, mode, threads, SECONDS);
const rows = [];
const res = {};

// before: plain tfjs wasm + TF.js's own gradients; the missing filter gradient from public tfjs ops
unregisterWasmTrainingKernels();
installBeforeFallback();
log('before (plain tfjs wasm; Conv2DBackpropFilter written with public tfjs ops: per-tap stridedSlice + matMul):');
for (const d of DEPTHS) {
  const { s, dispose } = singleThread(d);
  s.step(); s.infer();
  res[`b${d}t`] = await compare(`before resnet${d} train`, () => rate(() => s.step(), 1), T(d, 'train', 1), 1);
  res[`b${d}i`] = await compare(`before resnet${d} infer`, () => rate(() => s.infer()), T(d, 'infer', 1), 1);
  dispose();
}
removeBeforeFallback();

registerWasmTrainingKernels();
log('after (atkd wasm kernels):');
for (const d of DEPTHS) {
  const { s, dispose } = singleThread(d);
  s.step(); s.step(); s.infer();
  res[`a${d}t`] = await compare(`after resnet${d} train, 1 thread`, () => rate(() => s.step()), T(d, 'train', 1));
  res[`a${d}i`] = await compare(`after resnet${d} infer, 1 thread`, () => rate(() => s.infer()), T(d, 'infer', 1));
  dispose();
  const xt = await threadedWorker(2);
  res[`x${d}t`] = await compare(`after resnet${d} train, 2 XNNPACK threads`, () => xt.rate(d, 'train'), T(d, 'train', 2));
  res[`x${d}i`] = await compare(`after resnet${d} infer, 2 XNNPACK threads`, () => xt.rate(d, 'infer'), T(d, 'infer', 2));
  await xt.close();
  const dp = await dataParallel(d);
  await dp.step(); await dp.step();
  res[`dp${d}`] = await compare(`after resnet${d} train, 2 threads (data-parallel)`, () => rate(dp.step), T(d, 'train', 2));
  await dp.dispose();
}
let kd = null;
if (DEPTHS.includes(8) && DEPTHS.includes(20)) {
  const k = await kdSetups();
  k.sequential(); await k.pipelined();
  const seq = [], par = [];
  for (let i = 0; i < ROUNDS; i++) {
    seq.push(await rate(k.sequential));
    par.push(await rate(k.pipelined));
    log(`  KD step (teacher resnet20 infer + student resnet8 train) round ${i + 1}: one thread ${seq[i].toFixed(1)} img/s, teacher in a worker ${par[i].toFixed(1)} img/s`);
  }
  await k.dispose();
  kd = { sequential: median(seq), pipelined: median(par), ratio: median(seq.map((v, i) => par[i] / v)) };
}
const profile = args.includes('--profile') ? await profileStep(DEPTHS[0]) : null;

// What bounds the ratios: one forward convolution of each resnet layer shape, XNNPACK (wasm SIMD,
// one thread) vs PyTorch (one thread), interleaved. A training step is ~3 such convolutions per layer.
const convShapes = [
  { n: BATCH, h: 32, ci: 16, co: 16, k: 3, s: 1 }, { n: BATCH, h: 32, ci: 16, co: 32, k: 3, s: 2 },
  { n: BATCH, h: 16, ci: 32, co: 32, k: 3, s: 1 }, { n: BATCH, h: 8, ci: 64, co: 64, k: 3, s: 1 },
];
const convRows = [];
if (!args.includes('--no-conv')) {
  for (const c of convShapes) {
    const x = tf.randomNormal([c.n, c.h, c.h, c.ci]);
    const w = tf.randomNormal([c.k, c.k, c.ci, c.co]);
    const once = () => { const y = tf.conv2d(x, w, c.s, 'same'); y.dataSync(); y.dispose(); };
    once();
    const ours = async () => (await rate(once, 3)) / BATCH; // rate() counts BATCH per call
    const r = await compare(`conv ${c.h}x${c.h}x${c.ci}->${c.co} k${c.k} s${c.s}`, ours,
      () => torch.request({ mode: 'conv', ...c, threads: 1, seconds: SECONDS }));
    const macs = c.n * (c.h / c.s) ** 2 * c.k * c.k * c.ci * c.co;
    convRows.push([`${c.h}x${c.h}, ${c.ci}->${c.co}, ${c.k}x${c.k}, stride ${c.s}`, (1000 / r.atkd).toFixed(2),
      r.torch ? (1000 / r.torch).toFixed(2) : '—', (2 * macs * r.atkd / 1e9).toFixed(1), r.torch ? (2 * macs * r.torch / 1e9).toFixed(1) : '—', fx(r.ratio)]);
    tf.dispose([x, w]);
  }
}
torch.close();

for (const d of DEPTHS) {
  const b = (k) => res[`b${d}${k}`], a = (k) => res[`a${d}${k}`], dp = res[`dp${d}`];
  rows.push([`resnet${d} train, 1 thread`, fmt(b('t').atkd), fx(b('t').ratio), fmt(a('t').atkd), fmt(a('t').torch), fx(a('t').ratio)]);
  rows.push([`resnet${d} infer, 1 thread`, fmt(b('i').atkd), fx(b('i').ratio), fmt(a('i').atkd), fmt(a('i').torch), fx(a('i').ratio)]);
  rows.push([`resnet${d} train, 2 threads (atkd data-parallel)`, '—', '—', fmt(dp.atkd), fmt(dp.torch), fx(dp.ratio)]);
  const x = (k) => res[`x${d}${k}`];
  rows.push([`resnet${d} train, 2 threads (one process, 2 XNNPACK threads)`, '—', '—', fmt(x('t').atkd), fmt(x('t').torch), fx(x('t').ratio)]);
  rows.push([`resnet${d} infer, 2 threads (one process, 2 XNNPACK threads)`, '—', '—', fmt(x('i').atkd), fmt(x('i').torch), fx(x('i').ratio)]);
}
const header = ['batch 64', 'before img/s', 'before / PyTorch', 'after img/s', 'PyTorch img/s', 'after / PyTorch'];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(`\natkd backend benchmark — engine ${info.name}; PyTorch ${torch.version ?? 'n/a'}; ${cpus().length} cores; ` +
  `load average ${loadStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end; medians of ${ROUNDS} interleaved rounds ` +
  `(before: 1 round); ratios are per round, atkd slice then PyTorch slice\n`);
console.log(table);
if (torch.skipped) console.log(`\n${torch.skipped}`);
if (kd) {
  console.log(`\nSecond core for KD (teacher resnet20 inference + student resnet8 training per batch of 64): ` +
    `one thread ${fmt(kd.sequential)} img/s, teacher in its own worker ${fmt(kd.pipelined)} img/s (${fx(kd.ratio)}); ` +
    `data-parallel training alone: resnet8 ${fx(res.dp8.atkd / res.a8t.atkd)}, resnet20 ${fx(res.dp20.atkd / res.a20t.atkd)} over one thread; ` +
    `2 XNNPACK threads in one process: training resnet8 ${fx(res.x8t.atkd / res.a8t.atkd)}, resnet20 ${fx(res.x20t.atkd / res.a20t.atkd)}, ` +
    `inference resnet8 ${fx(res.x8i.atkd / res.a8i.atkd)}, resnet20 ${fx(res.x20i.atkd / res.a20i.atkd)} over one thread`);
}
if (convRows.length > 0) {
  const h = ['forward conv, batch 64, 1 thread', 'wasm ms', 'PyTorch ms', 'wasm GFLOP/s', 'PyTorch GFLOP/s', 'wasm / PyTorch'];
  console.log('\n' + [h, h.map(() => '---'), ...convRows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}
if (profile) {
  console.log(`\nresnet${DEPTHS[0]} training-step profile (after; tf.profile kernel times, total ${profile.total.toFixed(0)} ms; ` +
    `'fusedConv2d__op' wraps 'FusedConv2D', atkd kernels include their inner kernels):`);
  for (const k of profile.top) console.log(`  ${k.name.padEnd(30)} ${k.ms.toFixed(1).padStart(8)} ms  ${String(k.calls).padStart(4)} calls`);
}
