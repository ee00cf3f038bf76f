#!/usr/bin/env node
// The pipeline over loopback NATS JetStream vs in process, side by side in one run, in paired rounds:
//  1. for each teacher of --teachers (resnet20: the embedded trained one; any other zoo architecture,
//     e.g. the paper's resnet56 and resnet32x4, with their initial weights: the cost of a forward pass does
//     not depend on the weights), the teacher stage over N batches in process, vs the same operator as a stage
//     service in the same process (feeder -> RAW -> service -> LOGITS -> consumer, all through a real
//     nats-server -js), node and nats-server pinned to the same cores (taskset); each round runs both,
//     in alternating order (in/NATS, NATS/in, ...), and gives one ratio;
//  2. for each teacher:student pair of --pairs, the whole pipeline (teacher -> temperature -> soft
//     targets -> student SGD step, `distill` of @atkd/pipeline) in process, vs feeder -> RAW -> teacher
//     service -> LOGITS -> the student's ordered stream reader (what `atkd distill --source` reads with)
//     -> the same `distill` without its teacher stage; the same cores, paired the same way;
//  2b. the same pipelines on every core: in process with every core's ATen threads, vs an `atkd serve
//     teacher` process and the student (this process), one engine thread each, working at once;
//  3. one vs two `atkd serve teacher` processes (one engine thread each) on every core, paired the same way.
// Reported: each round's ratio, their median and spread (min..max): a machine whose load changes during
// the run moves both halves of a round together, so the ratios are steadier than the absolute times.
// Each round also reports the CPU time of this process and of nats-server, so the overhead splits into
// work (CPU a batch) and waiting (wall - CPU on the pinned core).
// Usage: npx nx run cli:bench [-- --batches 16 --batch 64 --rounds 7 --service-rounds 5 --cores 0 --teachers resnet20,resnet56 --parts 1,2,2b,3]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { distill } from '@atkd/pipeline';
import { StudentTrainer } from '@atkd/student';
import { OrderedStreamReader, batchSource, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager, publishBatches, startStageService } from '@atkd/jetstream';
import { startNatsServer } from '@atkd/jetstream/testing';
import { createModel, loadAnyModel, saveModel } from '@atkd/models';
import { nodeCpuMs, procCpuMs } from './cpu-time.mjs';
import { setTorchThreads } from '@atkd/backend-torch';
import { addTeacherLogits } from '@atkd/teacher';
import { from, lastValueFrom, map, of, take, tap, toArray } from 'rxjs';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '7' },
    'service-rounds': { type: 'string', default: '5' },
    cores: { type: 'string', default: '0' },
    teachers: { type: 'string', default: 'resnet20,resnet56' },
    pairs: { type: 'string', default: 'resnet20:resnet8,resnet56:resnet20' },
    parts: { type: 'string', default: '1,2,2b,3' },
    pinned: { type: 'boolean', default: false },
  },
});
const cliRoot = resolve(import.meta.dirname, '..');
const MAIN = join(cliRoot, 'dist', 'main.js');
const TEACHER = join(cliRoot, 'assets', 'teacher-resnet20.pth');
// one engine thread per process (the in-process stage and each service), whichever engine is chosen
const ENV = { ...process.env, ATKD_THREADS: '1', ATKD_WASM_THREADS: '1' };

// part 1 runs pinned: re-exec under taskset so that node (and the nats-server it starts) share the cores
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
if (!args.pinned && hasTaskset) {
  const r = spawnSync('taskset', ['-c', args.cores, process.execPath, ...process.execArgv, ...process.argv.slice(1), '--pinned'], { stdio: 'inherit', env: ENV });
  process.exit(r.status ?? 1);
}

const N = Number(args.batches);
const B = Number(args.batch);
const rounds = Number(args.rounds);
const serviceRounds = Number(args['service-rounds']);
for (const [k, v] of [['--batches', N], ['--batch', B], ['--rounds', rounds], ['--service-rounds', serviceRounds]]) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
}
const parts = new Set(args.parts.split(',').filter(Boolean));
for (const p of parts) if (!['1', '2', '2b', '3'].includes(p)) throw new Error(`--parts: unknown part ${p} (the parts are 1, 2, 2b, 3)`);
const t00 = performance.now();
const elapsed = () => `${((performance.now() - t00) / 1000).toFixed(0)} s`;
const progress = (s) => process.stderr.write(`[${elapsed()}] ${s}\n`);
const info = await initBackend({ log: false });
const teacherArchs = args.teachers.split(',').filter(Boolean);
if (teacherArchs.length === 0) throw new Error('--teachers needs at least one architecture');
/** The teacher of `arch`: the embedded trained resnet20, else a zoo model with its initial weights. */
async function teacherModel(arch) {
  if (arch === 'resnet20') return loadAnyModel(TEACHER, { arch: 'resnet20', classes: 100 });
  return createModel(arch, { classes: 100 });
}
let model;
let op;
const sample = splitFile(sampleDataDir(), 'train');
// The embedded sample (400 images) gives floor(400 / B) batches an epoch: more epochs of it when --batches asks for more.
const epochs = Math.ceil(N / Math.max(1, Math.floor(400 / B))) + 1;
const batches = await lastValueFrom(cifarBatches(sample, { batchSize: B, epochs }).pipe(take(N), map((b) => toRecordBatch(b)), toArray()));
if (batches.length < N) throw new Error(`--batches ${N}: the embedded sample gave ${batches.length} batches of ${B} over ${epochs} epochs`);
const rows = batches.reduce((s, b) => s + b.numRows, 0);

const server = await startNatsServer();
const nc = await connectNats({ url: server.url });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs, f) => `median ${f(median(xs))}, min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))}`;
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const imgs = (ms) => ((rows * 1000) / ms).toFixed(1);

/** Times `fn` (wall ms) with the CPU ms this process and nats-server spent meanwhile (work vs waiting on the pinned core). */
async function timed(fn) {
  const n0 = nodeCpuMs();
  const s0 = procCpuMs(server.pid);
  const t = performance.now();
  await fn();
  return { ms: performance.now() - t, node: nodeCpuMs() - n0, nats: procCpuMs(server.pid) - s0 };
}

/** Publishes the batches to `raw` and waits until `out` has them all (acked by a consumer): {ms, node, nats}. */
async function throughStreams(raw, out) {
  await ensureConsumer(jsm, out, 'student', { maxAckPending: 64 });
  let producing;
  const r = await timed(async () => {
    producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
    await lastValueFrom(batchSource(js, { stream: out, consumer: 'student', inFlight: 8 }).pipe(take(N), tap((d) => d.ack()), toArray()));
  });
  await producing;
  return r;
}

async function inProcess() {
  return timed(async () => {
    for (const b of batches) await lastValueFrom(of(b).pipe(op));
  });
}

let streamNo = 0;
/** Two new streams for one measurement, `<prefix>RAW<n>` and `<prefix>OUT<n>`, and their number n. */
async function freshStreams(prefix) {
  const n = ++streamNo;
  const raw = `${prefix}RAW${n}`;
  const out = `${prefix}OUT${n}`;
  await ensureBatchStream(jsm, raw);
  await ensureBatchStream(jsm, out);
  return { raw, out, n };
}
async function overNats() {
  const { raw, out, n } = await freshStreams('B');
  const svc = await startStageService(nc, { stage: `teacher${n}`, operator: op, from: raw, to: out, requests: false, log: () => undefined });
  try {
    return await throughStreams(raw, out);
  } finally {
    await svc.stop();
  }
}

/** Runs `a` and `b` once each, in the order the round's parity gives; returns [ms of a, ms of b]. */
async function paired(r, a, b) {
  if (r % 2 === 0) {
    const ta = await a();
    return [ta, await b()];
  }
  const tb = await b();
  return [await a(), tb];
}

const part1ByTeacher = [];
for (const arch of parts.has('1') ? teacherArchs : []) {
  model = await teacherModel(arch);
  op = addTeacherLogits(model);
  progress(`engine ${info.name}, teacher ${arch}; warm-up`);
  await inProcess(); // kernels, caches
  await overNats();
  const part1 = [];
  for (let r = 0; r < rounds; r++) {
    const [a, b] = await paired(r, inProcess, overNats);
    const tin = a.ms;
    const tnats = b.ms;
    const cpuIn = a.node + a.nats;
    const cpuNats = b.node + b.nats;
    part1.push({ tin, tnats, overhead: 1 - tin / tnats, cpuIn, cpuNats, natsServer: b.nats, cpuOverhead: 1 - cpuIn / cpuNats });
    progress(`part 1 ${arch} round ${r + 1}/${rounds}: in process ${imgs(tin)} img/s, over NATS ${imgs(tnats)} img/s, overhead ${pct(1 - tin / tnats)}; ` +
      `CPU ms a batch: in process ${(cpuIn / N).toFixed(1)}, over NATS ${(cpuNats / N).toFixed(1)} (nats-server ${(b.nats / N).toFixed(1)})`);
  }
  part1ByTeacher.push({ arch, part1 });
  model.dispose();
}

// part 2: the whole pipeline, in process vs over NATS
const pairs = args.pairs.split(',').filter(Boolean).map((p) => {
  const [t, st] = p.split(':');
  if (!t || !st) throw new Error(`--pairs: expected teacher:student, got ${p}`);
  return [t, st];
});
let trainer;
async function pipelineInProcess() {
  return timed(async () => {
    await lastValueFrom(distill({ source: from(batches), teacher: model, student: trainer }).pipe(toArray()));
  });
}
/**
 * Timed: the batches published to `raw` while the student (`distill` without its teacher stage, on
 * `trainer`) trains from `out` through its ordered stream reader, as `atkd distill --source` does.
 */
async function feedAndStudy(raw, out) {
  const reader = await OrderedStreamReader.open(js, jsm, { stream: out, consumer: 'student', log: () => undefined }, null);
  let producing;
  const r = await timed(async () => {
    producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
    await lastValueFrom(distill({ source: reader.segment(0, N).pipe(map((d) => d.batch)), teacher: null, student: trainer }).pipe(toArray()));
  });
  await producing;
  reader.close();
  return r;
}
async function pipelineOverNats() {
  const { raw, out, n } = await freshStreams('P');
  const svc = await startStageService(nc, { stage: `pteacher${n}`, operator: op, from: raw, to: out, requests: false, log: () => undefined });
  try {
    return await feedAndStudy(raw, out);
  } finally {
    await svc.stop();
  }
}
const pipelineByPair = [];
for (const [arch, studentArch] of parts.has('2') ? pairs : []) {
  model = await teacherModel(arch);
  op = addTeacherLogits(model);
  const studentNet = createModel(studentArch, { classes: 100 });
  trainer = new StudentTrainer(studentNet);
  progress(`engine ${info.name}, pipeline ${arch} -> ${studentArch}; warm-up`);
  await pipelineInProcess();
  await pipelineOverNats();
  const rs = [];
  for (let r = 0; r < rounds; r++) {
    const [a, b] = await paired(r, pipelineInProcess, pipelineOverNats);
    rs.push({ tin: a.ms, tnats: b.ms, overhead: 1 - a.ms / b.ms, cpuIn: a.node + a.nats, cpuNats: b.node + b.nats, natsServer: b.nats });
    progress(`part 2 ${arch} -> ${studentArch} round ${r + 1}/${rounds}: in process ${imgs(a.ms)} img/s, over NATS ${imgs(b.ms)} img/s, overhead ${pct(1 - a.ms / b.ms)}`);
  }
  pipelineByPair.push({ arch, studentArch, rs });
  trainer.dispose();
  studentNet.dispose();
  model.dispose();
}

// part 2b: the whole pipeline on every core. In process: distill with every core's ATen threads. Over
// NATS, as atkd is deployed on one machine: an `atkd serve teacher` process and the student (this
// process, distill without its teacher stage) with one engine thread each, working at once, and
// nats-server; this process and nats-server are let onto every core for this part.
const nproc = Number(spawnSync('nproc', ['--all']).stdout.toString().trim()); // all cores (this process is pinned)
const pinTo = (pid, cores) => spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
const tmpModels = mkdtempSync(join(tmpdir(), 'atkd-nats-bench-'));
async function teacherSpec(arch) {
  if (arch === 'resnet20') return { spec: TEACHER, arch: 'resnet20' };
  const dir = join(tmpModels, arch);
  if (!existsSync(dir)) await saveModel(model, dir);
  return { spec: dir };
}
let spec;
async function allCoresInProcess() {
  setTorchThreads(nproc);
  try {
    return await pipelineInProcess();
  } finally {
    setTorchThreads(1);
  }
}
async function allCoresOverNats() {
  const { raw, out } = await freshStreams('A');
  const p = serve(raw, out, spec);
  try {
    await p.ready; // start-up is not timed
    return await feedAndStudy(raw, out);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
}
const allCoresByPair = [];
if (parts.has('2b') && hasTaskset && nproc > 1) {
  pinTo(process.pid, `0-${nproc - 1}`);
  pinTo(server.pid, `0-${nproc - 1}`);
  for (const [arch, studentArch] of pairs) {
    model = await teacherModel(arch);
    spec = await teacherSpec(arch);
    const studentNet = createModel(studentArch, { classes: 100 });
    trainer = new StudentTrainer(studentNet);
    progress(`engine ${info.name}, pipeline ${arch} -> ${studentArch} on ${nproc} cores; warm-up`);
    await allCoresInProcess();
    await allCoresOverNats();
    const rs = [];
    for (let r = 0; r < rounds; r++) {
      const [a, b] = await paired(r, allCoresInProcess, allCoresOverNats);
      rs.push({ tin: a.ms, tnats: b.ms, gain: a.ms / b.ms });
      progress(`part 2b ${arch} -> ${studentArch} round ${r + 1}/${rounds}: in process (${nproc} threads) ${imgs(a.ms)} img/s, over NATS (teacher service + student, 1 thread each) ${imgs(b.ms)} img/s, ${(a.ms / b.ms).toFixed(2)}x`);
    }
    allCoresByPair.push({ arch, studentArch, rs });
    trainer.dispose();
    studentNet.dispose();
    model.dispose();
  }
}
rmSync(tmpModels, { recursive: true, force: true });

// part 3: 1 vs 2 teacher services (separate processes, one engine thread each), every core
/** An `atkd serve teacher` process on every core, one engine thread: the embedded resnet20, or a saved model directory. */
function serve(fromStream, to, teacher = { spec: TEACHER, arch: 'resnet20' }) {
  const archFlag = teacher.arch === undefined ? [] : ['--arch', teacher.arch];
  const child = spawn('taskset', ['-c', `0-${nproc - 1}`, process.execPath, MAIN, 'serve', 'teacher', '--nats', server.url, '--from', fromStream, '--to', to, '--teacher', teacher.spec, ...archFlag, '--in-flight', '2', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  let err = '';
  const exited = new Promise((r) => child.once('exit', r));
  const ready = new Promise((res, rej) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (/ready:/.test(err)) res();
    });
    void exited.then((c) => rej(new Error(`atkd serve exited ${c}: ${err}`)));
  });
  return { child, ready, exited };
}
async function services(k) {
  const { raw, out } = await freshStreams('S');
  const procs = Array.from({ length: k }, () => serve(raw, out));
  try {
    await Promise.all(procs.map((p) => p.ready)); // start-up is not timed
    return await throughStreams(raw, out);
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
  }
}
const part2 = [];
for (let r = 0; r < (parts.has('3') ? serviceRounds : 0); r++) {
  const [{ ms: t1 }, { ms: t2 }] = await paired(r, () => services(1), () => services(2));
  part2.push({ t1, t2, speedup: t1 / t2 });
  progress(`part 3 round ${r + 1}/${serviceRounds}: 1 service ${imgs(t1)} img/s, 2 services ${imgs(t2)} img/s, speed-up ${(t1 / t2).toFixed(2)}x`);
}

console.log(`engine ${info.name} (1 thread a process), ${N} batches of ${B} a round, ${elapsed()} in all`);
if (parts.has('1')) console.log(`part 1: the teacher stage alone, core(s) ${args.cores} (taskset; node and nats-server), ${rounds} paired rounds a teacher (order alternating)`);
for (const { arch, part1 } of part1ByTeacher) {
  console.log(`teacher ${arch}:`);
  console.log(`  in process:        ${spread(part1.map((p) => (rows * 1000) / p.tin), (x) => `${x.toFixed(1)} img/s`)}`);
  console.log(`  over loopback NATS: ${spread(part1.map((p) => (rows * 1000) / p.tnats), (x) => `${x.toFixed(1)} img/s`)}`);
  console.log(`  NATS overhead (1 - t_in/t_nats, per round): ${spread(part1.map((p) => p.overhead), pct)}  [target < 10%]`);
  console.log(`  rounds: ${part1.map((p) => pct(p.overhead)).join(', ')}`);
  console.log(`  CPU a batch (this process + nats-server, ms): in process ${spread(part1.map((p) => p.cpuIn / N), (x) => x.toFixed(1))}; ` +
    `over NATS ${spread(part1.map((p) => p.cpuNats / N), (x) => x.toFixed(1))}, of which nats-server ${spread(part1.map((p) => p.natsServer / N), (x) => x.toFixed(1))}`);
  console.log(`  CPU overhead (1 - cpu_in/cpu_nats, per round): ${spread(part1.map((p) => p.cpuOverhead), pct)}`);
  console.log(`  waiting on the pinned core (1 - cpu/wall): over NATS ${spread(part1.map((p) => 1 - p.cpuNats / p.tnats), pct)}; in process ${spread(part1.map((p) => 1 - p.cpuIn / p.tin), pct)}`);
}
if (parts.has('2')) console.log(`part 2: the whole pipeline (distill: teacher, temperature, soft targets, student step), core(s) ${args.cores}, ${rounds} paired rounds a pair`);
for (const { arch, studentArch, rs } of pipelineByPair) {
  console.log(`${arch} -> ${studentArch}:`);
  console.log(`  in process:        ${spread(rs.map((p) => (rows * 1000) / p.tin), (x) => `${x.toFixed(1)} img/s`)}`);
  console.log(`  over loopback NATS: ${spread(rs.map((p) => (rows * 1000) / p.tnats), (x) => `${x.toFixed(1)} img/s`)}`);
  console.log(`  NATS overhead (1 - t_in/t_nats, per round): ${spread(rs.map((p) => p.overhead), pct)}  [target < 10%]`);
  console.log(`  rounds: ${rs.map((p) => pct(p.overhead)).join(', ')}`);
  console.log(`  CPU a batch (ms): in process ${spread(rs.map((p) => p.cpuIn / N), (x) => x.toFixed(1))}; over NATS ${spread(rs.map((p) => p.cpuNats / N), (x) => x.toFixed(1))}, of which nats-server ${spread(rs.map((p) => p.natsServer / N), (x) => x.toFixed(1))}`);
}
if (allCoresByPair.length > 0) {
  console.log(`part 2b: the whole pipeline on all ${nproc} cores: in process (distill, ${nproc} ATen threads) vs over NATS (an atkd serve teacher process and the student in this one, 1 thread each, at once), ${rounds} paired rounds a pair`);
  for (const { arch, studentArch, rs } of allCoresByPair) {
    console.log(`${arch} -> ${studentArch}: in process ${spread(rs.map((p) => (rows * 1000) / p.tin), (x) => `${x.toFixed(1)} img/s`)}; over NATS ${spread(rs.map((p) => (rows * 1000) / p.tnats), (x) => `${x.toFixed(1)} img/s`)}`);
    console.log(`  over NATS / in process (t_in/t_nats, per round): ${spread(rs.map((p) => p.gain), (x) => `${x.toFixed(2)}x`)}; rounds ${rs.map((p) => `${p.gain.toFixed(2)}x`).join(', ')}`);
  }
}
if (parts.has('3')) {
  console.log(`part 3: ${nproc} cores (not pinned: nats-server and this process share them), ${serviceRounds} paired rounds`);
  console.log(`  speed-up of 2 teacher services over 1 (t_1/t_2, per round): ${spread(part2.map((p) => p.speedup), (x) => `${x.toFixed(2)}x`)}`);
  console.log(`  rounds: ${part2.map((p) => `${p.speedup.toFixed(2)}x`).join(', ')}`);
}

await nc.close();
await server.stop();
