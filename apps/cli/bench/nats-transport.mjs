#!/usr/bin/env node
// What the transport alone costs: feeder -> RAW -> a stage service whose operator passes the batch
// through -> OUT -> consumer, all in this process, with a real nats-server -js: wall ms, this
// process's CPU ms and nats-server's CPU ms per batch of 64 (the embedded sample), one line a round
// (each round new streams). Run it pinned to one core with nats-server, as part 1 of bench/nats.mjs:
//   taskset -c 0 node bench/nats-transport.mjs [BATCHES a round, default 48] [ROUNDS, default 6]
import { cifarBatches, sampleDataDir, splitFile, toRecordBatch } from '@atkd/data';
import { batchSource, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager, publishBatches, startStageService } from '@atkd/jetstream';
import { startNatsServer } from '@atkd/jetstream/testing';
import { from, lastValueFrom, map, take, tap, toArray } from 'rxjs';
import { nodeCpuMs, procCpuMs } from './cpu-time.mjs';
const N = Number(process.argv[2] ?? 48);
const sample = splitFile(sampleDataDir(), 'train');
const batches = await lastValueFrom(cifarBatches(sample, { batchSize: 64, epochs: Math.ceil(N / 6) + 1 }).pipe(take(N), map((b) => toRecordBatch(b)), toArray()));
const server = await startNatsServer();
const nc = await connectNats({ url: server.url });
const js = jetstream(nc); const jsm = await jetstreamManager(nc);
let k = 0;
const ROUNDS = Number(process.argv[3] ?? 6);
for (let r = 0; r < ROUNDS; r++) {
  k++;
  const raw = `R${k}`, out = `O${k}`;
  await ensureBatchStream(jsm, raw); await ensureBatchStream(jsm, out);
  const svc = await startStageService(nc, { stage: `t${k}`, operator: (s) => s, from: raw, to: out, requests: false, log: () => undefined });
  await ensureConsumer(jsm, out, 'student', { maxAckPending: 64 });
  const n0 = nodeCpuMs(), s0 = procCpuMs(server.pid), t0 = performance.now();
  const producing = lastValueFrom(from(batches.map((batch, step) => ({ batch, epoch: 0, step }))).pipe(publishBatches(nc, js, raw), toArray()));
  await lastValueFrom(batchSource(js, { stream: out, consumer: 'student', inFlight: 8 }).pipe(take(N), tap((d) => d.ack()), toArray()));
  const ms = performance.now() - t0; await producing;
  const node = nodeCpuMs() - n0, srv = procCpuMs(server.pid) - s0;
  console.log(`round ${r}: wall ${(ms / N).toFixed(2)} ms/batch, node CPU ${(node / N).toFixed(2)}, nats-server CPU ${(srv / N).toFixed(2)} ms/batch`);
  await svc.stop();
}
await nc.close(); await server.stop();
