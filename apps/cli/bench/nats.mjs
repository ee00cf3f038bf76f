#!/usr/bin/env node
// The pipeline over loopback NATS JetStream vs in process, side by side in one run, in paired rounds:
//  1. the teacher stage (embedded resnet20) over N batches in process, vs the same operator as a stage
//     service in the same process (feeder -> RAW -> service -> LOGITS -> consumer, all through a real
//     nats-server -js), node and nats-server pinned to the same cores (taskset); each round runs both,
//     in alternating order (in/NATS, NATS/in, ...), and gives one ratio;
//  2. one vs two `atkd serve teacher` processes (one engine thread each) on every core, paired the same way.
// Reported: each round's ratio, their median and spread (min..max): a machine whose load changes during
// the run moves both halves of a round together, so the ratios are steadier than the absolute times.
// Usage: npx nx run cli:bench [-- --batches 16 --batch 64 --rounds 7 --service-rounds 5 --cores 0]
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { batchSource, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager, publishBatches, startStageService } from '@atkd/jetstream';
import { startNatsServer } from '@atkd/jetstream/testing';
import { loadAnyModel } from '@atkd/models';
import { addTeacherLogits } from '@atkd/teacher';
import { from, lastValueFrom, map, of, take, tap, toArray } from 'rxjs';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '7' },
    'service-rounds': { type: 'string', default: '5' },
    cores: { type: 'string', default: '0' },
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
  const r = spawnSync('taskset', ['-c', args.cores, process.execPath, ...process.argv.slice(1), '--pinned'], { stdio: 'inherit', env: ENV });
  process.exit(r.status ?? 1);
}

const N = Number(args.batches);
const B = Number(args.batch);
const rounds = Number(args.rounds);
const serviceRounds = Number(args['service-rounds']);
for (const [k, v] of [['--batches', N], ['--batch', B], ['--rounds', rounds], ['--service-rounds', serviceRounds]]) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
}
const t00 = performance.now();
const elapsed = () => `${((performance.now() - t00) / 1000).toFixed(0)} s`;
const progress = (s) => process.stderr.write(`[${elapsed()}] ${s}\n`);
const info = await initBackend({ log: false });
const model = await loadAnyModel(TEACHER, { arch: 'resnet20', classes: 100 });
const op = addTeacherLogits(model);
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

/** Publishes the batches to `raw` and waits until `out` has them all (acked by a consumer): milliseconds. */
async function throughStreams(raw, out) {
  await ensureConsumer(jsm, out, 'student', { maxAckPending: 64 });
  const t = performance.now();
  const producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
  await lastValueFrom(batchSource(js, { stream: out, consumer: 'student', inFlight: 8 }).pipe(take(N), tap((d) => d.ack()), toArray()));
  const ms = performance.now() - t;
  await producing;
  return ms;
}

async function inProcess() {
  const t = performance.now();
  for (const b of batches) await lastValueFrom(of(b).pipe(op));
  return performance.now() - t;
}

let streamNo = 0;
async function overNats() {
  streamNo++;
  const raw = `BRAW${streamNo}`;
  const out = `BOUT${streamNo}`;
  await ensureBatchStream(jsm, raw);
  await ensureBatchStream(jsm, out);
  const svc = await startStageService(nc, { stage: `teacher${streamNo}`, operator: op, from: raw, to: out, requests: false, log: () => undefined });
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

progress(`engine ${info.name}; warm-up`);
await inProcess(); // kernels, caches
await overNats();
const part1 = [];
for (let r = 0; r < rounds; r++) {
  const [tin, tnats] = await paired(r, inProcess, overNats);
  part1.push({ tin, tnats, overhead: 1 - tin / tnats });
  progress(`part 1 round ${r + 1}/${rounds}: in process ${imgs(tin)} img/s, over NATS ${imgs(tnats)} img/s, overhead ${pct(1 - tin / tnats)}`);
}

// part 2: 1 vs 2 teacher services (separate processes, one engine thread each), every core
const nproc = Number(spawnSync('nproc', ['--all']).stdout.toString().trim()); // all cores (this process is pinned)
function serve(fromStream, to) {
  const child = spawn('taskset', ['-c', `0-${nproc - 1}`, process.execPath, MAIN, 'serve', 'teacher', '--nats', server.url, '--from', fromStream, '--to', to, '--teacher', TEACHER, '--arch', 'resnet20', '--in-flight', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
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
  streamNo++;
  const raw = `SRAW${streamNo}`;
  const out = `SOUT${streamNo}`;
  await ensureBatchStream(jsm, raw);
  await ensureBatchStream(jsm, out);
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
for (let r = 0; r < serviceRounds; r++) {
  const [t1, t2] = await paired(r, () => services(1), () => services(2));
  part2.push({ t1, t2, speedup: t1 / t2 });
  progress(`part 2 round ${r + 1}/${serviceRounds}: 1 service ${imgs(t1)} img/s, 2 services ${imgs(t2)} img/s, speed-up ${(t1 / t2).toFixed(2)}x`);
}

console.log(`engine ${info.name} (1 thread a process), teacher resnet20, ${N} batches of ${B} a round, ${elapsed()} in all`);
console.log(`part 1: core(s) ${args.cores} (taskset; node and nats-server), ${rounds} paired rounds (order alternating)`);
console.log(`  in process:        ${spread(part1.map((p) => (rows * 1000) / p.tin), (x) => `${x.toFixed(1)} img/s`)}`);
console.log(`  over loopback NATS: ${spread(part1.map((p) => (rows * 1000) / p.tnats), (x) => `${x.toFixed(1)} img/s`)}`);
console.log(`  NATS overhead (1 - t_in/t_nats, per round): ${spread(part1.map((p) => p.overhead), pct)}  [target < 10%]`);
console.log(`  rounds: ${part1.map((p) => pct(p.overhead)).join(', ')}`);
console.log(`part 2: ${nproc} cores (not pinned: nats-server and this process share them), ${serviceRounds} paired rounds`);
console.log(`  speed-up of 2 teacher services over 1 (t_1/t_2, per round): ${spread(part2.map((p) => p.speedup), (x) => `${x.toFixed(2)}x`)}`);
console.log(`  rounds: ${part2.map((p) => `${p.speedup.toFixed(2)}x`).join(', ')}`);

model.dispose();
await nc.close();
await server.stop();
