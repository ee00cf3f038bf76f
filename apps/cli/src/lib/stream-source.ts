/**
 * `atkd distill --source nats://HOST:PORT/STREAM`: the runner's batch provider over a JetStream stream
 * of batches that carry teacher logits (from `atkd serve teacher`, after `atkd feed`). The run owns a
 * durable consumer (`atkd-student-<run dir>`), made again at the checkpointed stream sequence on
 * resume; batches come in step order, each exactly once (`OrderedStreamReader`).
 */
import { basename } from 'node:path';
import { TEACHER_LOGITS, hasColumn, withPosition } from '@atkd/columns';
import { OrderedStreamReader, decodeBatchMessage, jetstream, jetstreamManager, type NatsConnection, type StreamPosition } from '@atkd/jetstream';
import type { BatchProvider } from '@atkd/runner';
import { map } from 'rxjs';
import { FEED_META } from './nats.js';

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/** The consumer name of a run: from its directory's name (letters, digits, _ and - only). */
export function runConsumerName(runDir: string): string {
  return `atkd-student-${basename(runDir).replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 200);
}

export interface StreamPlan {
  perEpoch: number;
  epochs: number | null;
  batchSize: number | null;
}

/** The feed plan recorded on the stream's first batch (schema metadata of `atkd feed`); checks the logits are there. */
export async function streamPlan(nc: NatsConnection, stream: string, where: string): Promise<StreamPlan> {
  const jsm = await jetstreamManager(nc);
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch (e) {
    throw new SourceError(`${where}: no stream ${stream} on the server (${(e as Error).message}); start \`atkd serve teacher --to ${stream}\` and \`atkd feed\` first`);
  }
  if (info.state.messages === 0) throw new SourceError(`${where}: stream ${stream} holds no batch yet; run \`atkd feed\` (and a teacher service) first`);
  const msg = await jsm.streams.getMessage(stream, { seq: info.state.first_seq });
  if (msg === null) throw new SourceError(`${where}: cannot read the first message of stream ${stream}`);
  const env = decodeBatchMessage(msg.data, msg.header, `stream ${stream} seq ${msg.seq}`);
  if (!hasColumn(env.batch.schema, TEACHER_LOGITS)) throw new SourceError(`${where}: the batches of stream ${stream} have no ${TEACHER_LOGITS} column; read the stream a teacher service writes (atkd serve teacher --to ${stream})`);
  const md = env.batch.schema.metadata;
  const num = (k: string) => (md.get(k) === undefined ? null : Number(md.get(k)));
  const perEpoch = num(FEED_META.batchesPerEpoch);
  if (perEpoch === null || !Number.isInteger(perEpoch) || perEpoch < 1) throw new SourceError(`${where}: stream ${stream} does not record its batches per epoch (schema metadata ${FEED_META.batchesPerEpoch}); feed it with \`atkd feed\``);
  return { perEpoch, epochs: num(FEED_META.epochs), batchSize: num(FEED_META.batchSize) };
}

/** The provider over `stream` for the run in `runDir`. */
export function streamProvider(nc: NatsConnection, stream: string, runDir: string, plan: StreamPlan, log: (line: string) => void): BatchProvider & { close(): void; stats(): OrderedStreamReader['stats'] | null } {
  const js = jetstream(nc);
  const consumer = runConsumerName(runDir);
  let reader: OrderedStreamReader | null = null;
  return {
    perEpoch: plan.perEpoch,
    async open(saved, nextStep) {
      const jsm = await jetstreamManager(nc);
      let from: { startSeq: number; nextStep: number } | null = null;
      if (saved !== null) {
        const s = saved as Partial<StreamPosition>;
        if (s.stream !== stream) throw new SourceError(`the checkpoint was trained from stream ${String(s.stream)}, not ${stream}`);
        if (typeof s.startSeq !== 'number' || s.nextStep !== nextStep) throw new SourceError(`the checkpoint's stream position (${JSON.stringify(saved)}) does not match its step ${nextStep}`);
        from = { startSeq: s.startSeq, nextStep };
      } else if (nextStep !== 0) {
        throw new SourceError(`the checkpoint at step ${nextStep} has no stream position (it was not trained from a stream)`);
      }
      reader = await OrderedStreamReader.open(js, jsm, { stream, consumer, log }, from);
    },
    segment(step, count) {
      if (reader === null) throw new SourceError('stream provider: segment before open');
      return reader.segment(step, count).pipe(
        map((d) => {
          const epoch = Math.floor(d.step / plan.perEpoch);
          if (d.epoch !== epoch) throw new SourceError(`stream ${stream}: the batch at step ${d.step} is of epoch ${d.epoch}, expected ${epoch} (${plan.perEpoch} batches per epoch)`);
          return withPosition(d.batch, { epoch: d.epoch, step: d.step });
        }),
      );
    },
    position() {
      if (reader === null) throw new SourceError('stream provider: position before open');
      return { ...reader.position() };
    },
    close() {
      reader?.close();
    },
    stats: () => reader?.stats ?? null,
  };
}
