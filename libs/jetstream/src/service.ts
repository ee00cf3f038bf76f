/**
 * A stage as a service: pulls batches from one stream through a shared durable consumer (a work
 * queue: start more processes to go faster), runs the stage operator on each batch, publishes the
 * result to another stream with the same epoch/step/id (the server stores one output while the stage
 * works on the next input), and acks each input only after its output is stored. Stateless: every
 * batch goes through a fresh subscription of the operator, so a killed process loses nothing but its
 * unacknowledged batches, which the server redelivers to another
 * (and whose re-published output the server de-duplicates). A batch the stage rejects goes to the
 * dead letters. The same operator also answers NATS service requests on `atkd.<stage>` (record
 * batches in, record batches out), with discovery and stats from `@nats-io/services`.
 */
import { decodeIpcStream, encodeIpcStream } from '@atkd/columns';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Svcm, type Service } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RecordBatch } from 'apache-arrow';
import { concatMap, filter, lastValueFrom, mergeMap, of, tap, type OperatorFunction, type Subscription } from 'rxjs';
import { deadLetter } from './dead-letter.js';
import { describeCause } from './errors.js';
import { publishBatch } from './sink.js';
import { batchSource, inFlightOf, type Delivery } from './source.js';
import { ensureBatchStream, ensureConsumer } from './streams.js';
import { serviceSubject } from './subjects.js';
import { aheadThrottle, type RoomWait, type ThrottleOptions } from './throttle.js';

export interface StageServiceOptions {
  /** Stage name: `teacher`, `temperature`, `soft-targets` (the service subject is `atkd.<stage>`). */
  stage: string;
  operator: OperatorFunction<RecordBatch, RecordBatch>;
  from: string;
  to: string;
  /** Durable consumer on `from` shared by every instance (default `atkd-<stage>-<to>`). */
  consumer?: string;
  /** Batches one instance holds at most (default 2). */
  inFlight?: number;
  /** The consumer's max_ack_pending (across instances; default 16). */
  maxAckPending?: number;
  /** Milliseconds before a batch held by a dead instance goes to another one (default 30 s). */
  ackWaitMs?: number;
  /** Hold back while this consumer of `to` has this many messages pending. */
  throttle?: Omit<ThrottleOptions, 'jsm'>;
  /** Called on every poll that found no room downstream (a progress line). */
  onRoomWait?: (wait: RoomWait) => void;
  /** Answer `atkd.<stage>` requests (default true). */
  requests?: boolean;
  log?: (line: string) => void;
  /** Called after each batch is published and acked. */
  onBatch?: (stats: StageServiceStats, d: Delivery) => void;
}

export interface StageServiceStats {
  batches: number;
  rows: number;
  duplicates: number;
  deadLetters: number;
  requests: number;
  /** Deliveries that were redeliveries (another instance died holding them, or a restart). */
  redeliveries: number;
  /** Batches this instance holds now (received, not yet acked), and the most it ever held: at most `inFlight`. */
  held: number;
  maxHeld: number;
}

export interface StageServiceHandle {
  stats: StageServiceStats;
  consumer: string;
  /** Resolves when the service stops (after `stop()`), rejects when it fails. */
  done: Promise<void>;
  /** Stops pulling, gives back what it holds, stops the NATS service. */
  stop(): Promise<void>;
}

/**
 * This process's memory for `$SRV.STATS`: RSS, V8 heap used, and memory outside the heap (Arrow
 * buffers). With ATKD_STATS_GC=1 and `node --expose-gc` a full GC runs first, so that the heap
 * figures are what is live (the memory test's leak check), not what is garbage.
 */
function memoryFigures(): { rssBytes: number; heapUsedBytes: number; externalBytes: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (process.env['ATKD_STATS_GC'] === '1' && gc !== undefined) gc();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

/** A delivery and the stage's output for it, waiting to be published. */
interface Computed {
  d: Delivery;
  out: RecordBatch;
}

/** A delivery whose output is on its way to the server. */
interface Publishing {
  d: Delivery;
  rows: number;
  stored: ReturnType<typeof publishBatch>;
}

async function runOnce(operator: OperatorFunction<RecordBatch, RecordBatch>, batch: RecordBatch): Promise<RecordBatch> {
  return lastValueFrom(of(batch).pipe(operator));
}

export async function startStageService(nc: NatsConnection, options: StageServiceOptions): Promise<StageServiceHandle> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const js: JetStreamClient = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureBatchStream(jsm, options.from);
  await ensureBatchStream(jsm, options.to);
  const consumer = options.consumer ?? `atkd-${options.stage}-${options.to}`;
  await ensureConsumer(jsm, options.from, consumer, { maxAckPending: options.maxAckPending, ackWaitMs: options.ackWaitMs });
  const stats: StageServiceStats = { batches: 0, rows: 0, duplicates: 0, deadLetters: 0, requests: 0, redeliveries: 0, held: 0, maxHeld: 0 };
  const room = options.throttle === undefined ? undefined : aheadThrottle(options.to, { ...options.throttle, jsm });
  const inFlight = inFlightOf(options.inFlight);

  let service: Service | undefined;
  if (options.requests !== false) {
    // @nats-io/services carries its own copy of nats-core's types: the connection is the same object
    service = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
      name: `atkd-${options.stage}`,
      version: '0.1.0',
      description: `atkd ${options.stage} stage: Arrow IPC record batches in, the same with the stage's columns out`,
      metadata: { from: options.from, to: options.to, consumer },
      statsHandler: () => Promise.resolve({ ...stats, ...memoryFigures() }),
    });
    service.addEndpoint('process', {
      subject: serviceSubject(options.stage),
      handler: (err, msg) => {
        if (err !== null) return;
        stats.requests++;
        void (async () => {
          try {
            const { batches, schema } = decodeIpcStream(msg.data, `request on ${serviceSubject(options.stage)}`);
            const out: RecordBatch[] = [];
            for (const b of batches) out.push(await runOnce(options.operator, b));
            msg.respond(encodeIpcStream(out, out.length === 0 ? schema : undefined));
          } catch (e) {
            msg.respondError(400, describeCause(e).slice(0, 1000));
          }
        })();
      },
    });
  }

  let sub: Subscription | undefined;
  const stopped = new AbortController();
  const done = new Promise<void>((resolve, reject) => {
    sub = batchSource(js, { stream: options.from, consumer, inFlight, log, releaseOnUnsubscribe: true, onDeadLetter: () => void stats.deadLetters++ })
      .pipe(
        tap(() => {
          stats.held++;
          stats.maxHeld = Math.max(stats.maxHeld, stats.held);
        }),
        // the stage runs one batch at a time, in delivery order
        concatMap(async (d: Delivery): Promise<Computed | null> => {
          if (d.deliveries > 1) stats.redeliveries++;
          try {
            return { d, out: await runOnce(options.operator, d.batch) };
          } catch (e) {
            stats.deadLetters++;
            stats.held--;
            await deadLetter(js, options.from, d.msg, `${options.stage} stage rejected the batch at step ${d.step} (epoch ${d.epoch}): ${describeCause(e)}`, log);
            return null;
          }
        }),
        filter((c): c is Computed => c !== null),
        // Outputs go out in delivery order (after the throttle lets each through); the server stores
        // one while the stage works on the next input. Each input is acked only after its own output
        // is stored; the source holds at most inFlight unacked inputs, so at most inFlight outputs
        // wait for the server here.
        concatMap(async ({ d, out }: Computed): Promise<Publishing | null> => {
          // at most maxPending ahead of the downstream consumer; the held input is kept alive meanwhile
          if (room !== undefined && !(await room.waitForRoom({ onWait: (w) => {
                d.msg.working();
                options.onRoomWait?.(w);
              }, signal: stopped.signal }))) return null; // stopping: the input goes back unacked
          const stored = publishBatch(nc, js, options.to, { batch: out, epoch: d.epoch, step: d.step }, { log });
          stored.catch(() => undefined); // awaited below; a failure fails the service there
          room?.published();
          return { d, rows: out.numRows, stored };
        }),
        filter((p): p is Publishing => p !== null),
        mergeMap(async ({ d, rows, stored }: Publishing) => {
          const { ack } = await stored;
          if (ack.duplicate) stats.duplicates++;
          d.ack();
          stats.held--;
          stats.batches++;
          stats.rows += rows;
          options.onBatch?.(stats, d);
        }, inFlight),
      )
      .subscribe({ error: reject, complete: resolve });
  });
  let stopping: Promise<void> | undefined;
  return {
    stats,
    consumer,
    done,
    stop() {
      stopping ??= (async () => {
        stopped.abort();
        sub?.unsubscribe();
        await service?.stop().catch(() => undefined);
      })();
      return stopping;
    },
  };
}
