#!/usr/bin/env node
// The pipeline over loopback NATS JetStream vs in process, side by side in one run:
//  1. the teacher stage (embedded resnet20) over N batches in process, vs the same operator as a stage
//     service in the same process (feeder -> RAW -> service -> LOGITS -> consumer, all through a real
//     nats-server -js), node and nats-server pinned to the same cores (taskset), interleaved rounds;
//  2. one vs two `atkd serve teacher` processes (one XNNPACK thread each) on the machine's cores.
// Usage: npx nx run cli:bench [-- --batches 16 --batch 64 --rounds 3 --cores 0]
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@atkd/backend';
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { batchSource, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager, publishBatches, startStageService } from '@atkd/jetstream';
import { startNatsServer } from '@atkd/jetstream/testing';
import { addTeacherLogits, loadTeacher } from '@atkd/teacher';
import { from, lastValueFrom, map, of, take, tap, toArray } from 'rxjs';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    cores: { type: 'string', default: '0' },
    pinned: { type: 'boolean', default: false },
  },
});
const cliRoot = resolve(import.meta.dirname, '..');
const MAIN = join(cliRoot, 'dist', 'main.js');
const TEACHER = join(cliRoot, 'assets', 'teacher-resnet20.pth');

// part 1 runs pinned: re-exec under taskset so that node (and the nats-server it starts) share the cores
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
if (!args.pinned && hasTaskset) {
  const r = spawnSync('taskset', ['-c', args.cores, process.execPath, ...process.argv.slice(1), '--pinned'], { stdio: 'inherit', env: { ...process.env, ATKD_WASM_THREADS: '1' } });
  process.exit(r.status ?? 1);
}

const N = Number(args.batches);
const B = Number(args.batch);
const rounds = Number(args.rounds);
const t00 = performance.now();
const dbg = (s) => process.env.ATKD_BENCH_DEBUG && process.stderr.write(`${((performance.now() - t00) / 1000).toFixed(1)}s ${s}\n`);
const info = await initBackend({ log: false });
dbg("backend");
const model = await loadTeacher(TEACHER, { arch: 'resnet20' });
const op = addTeacherLogits(model);
const sample = splitFile(sampleDataDir(), 'train');
const batches = await lastValueFrom(cifarBatches(sample, { batchSize: B, epochs: 1, maxBatchesPerEpoch: N }).pipe(map((b) => toRecordBatch(b)), toArray()));
if (batches.length < N) throw new Error(`--batches ${N}: the embedded sample has ${batches.length} batches of ${B}`);
const rows = batches.reduce((s, b) => s + b.numRows, 0);

dbg("batches ready");
const server = await startNatsServer();
dbg("server");
const nc = await connectNats({ url: server.url });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function inProcess() {
  const t = performance.now();
  for (const b of batches) await lastValueFrom(of(b).pipe(op));
  return performance.now() - t;
}

let round = 0;
async function overNats() {
  round++;
  const raw = `BRAW${round}`;
  const out = `BOUT${round}`;
  await ensureBatchStream(jsm, raw);
  await ensureBatchStream(jsm, out);
  const svc = await startStageService(nc, { stage: `teacher${round}`, operator: op, from: raw, to: out, requests: false, log: (l) => dbg(l) });
  await ensureConsumer(jsm, out, 'student', { maxAckPending: 64 });
  const t = performance.now();
  const producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
  await lastValueFrom(batchSource(js, { stream: out, consumer: 'student', inFlight: 8 }).pipe(take(N), tap((d) => d.ack()), toArray()));
  const ms = performance.now() - t;
  await producing;
  await svc.stop();
  return ms;
}

await inProcess(); // warm-up (kernels)
dbg("warm");
const tin = [];
const tnats = [];
for (let r = 0; r < rounds; r++) {
  tin.push(await inProcess());
  dbg(`round ${r} in process`);
  tnats.push(await overNats());
  dbg(`round ${r} over NATS`);
}
const thrIn = (rows * 1000) / mean(tin);
const thrNats = (rows * 1000) / mean(tnats);
console.log(`backend ${info.name}, cores ${args.cores} (taskset; node and nats-server), teacher resnet20, ${N} batches of ${B}, ${rounds} interleaved rounds`);
console.log(`teacher stage in process:            ${thrIn.toFixed(1)} img/s  (${tin.map((x) => x.toFixed(0)).join(', ')} ms)`);
console.log(`teacher stage over loopback NATS:    ${thrNats.toFixed(1)} img/s  (${tnats.map((x) => x.toFixed(0)).join(', ')} ms)`);
console.log(`NATS overhead: ${((100 * (thrIn - thrNats)) / thrIn).toFixed(1)}% of in-process throughput (target < 10%)`);

// part 2: 1 vs 2 teacher services (separate processes, one XNNPACK thread each), every core
function serve(from, to) {
  const child = spawn('taskset', ['-c', '0-' + (Number(spawnSync('nproc').stdout.toString().trim()) - 1), process.execPath, MAIN, 'serve', 'teacher', '--nats', server.url, '--from', from, '--to', to, '--model', TEACHER, '--arch', 'resnet20', '--in-flight', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ATKD_WASM_THREADS: '1' } });
  let err = '';
  const ready = new Promise((res, rej) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (/ready:/.test(err)) res();
    });
    child.once('exit', (c) => rej(new Error(`atkd serve exited ${c}: ${err}`)));
  });
  return { child, ready };
}
async function services(k, tag) {
  const raw = `SRAW${tag}`;
  const out = `SOUT${tag}`;
  await ensureBatchStream(jsm, raw);
  await ensureBatchStream(jsm, out);
  const procs = Array.from({ length: k }, () => serve(raw, out));
  await Promise.all(procs.map((p) => p.ready));
  await ensureConsumer(jsm, out, 'student', { maxAckPending: 64 });
  const t = performance.now();
  const producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
  await lastValueFrom(batchSource(js, { stream: out, consumer: 'student', inFlight: 8 }).pipe(take(N), tap((d) => d.ack()), toArray()));
  const ms = performance.now() - t;
  await producing;
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)))));
  return ms;
}
const one = [];
const two = [];
for (let r = 0; r < Math.max(1, rounds - 1); r++) {
  one.push(await services(1, `1-${r}`));
  two.push(await services(2, `2-${r}`));
}
console.log(`1 teacher service: ${((rows * 1000) / mean(one)).toFixed(1)} img/s; 2 teacher services: ${((rows * 1000) / mean(two)).toFixed(1)} img/s; speed-up ${(mean(one) / mean(two)).toFixed(2)}x (processes not pinned: nats-server and this process share the cores ${args.cores})`);

model.dispose();
await nc.close();
await server.stop();
