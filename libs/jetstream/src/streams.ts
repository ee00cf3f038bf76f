/** Creating (or checking) the streams and durable consumers atkd uses. */
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type ConsumerInfo, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { JetStreamError, describeCause } from './errors.js';
import { batchSubject, checkConsumerName, deadLetterStream, deadLetterSubject } from './subjects.js';

export interface BatchStreamOptions {
  /** Window in which a re-published message id is dropped (default 10 min; must exceed the ack wait). */
  duplicateWindowMs?: number;
  /** Drop messages older than this (default: keep them: limits retention, file storage). */
  maxAgeMs?: number;
  /** Cap on the stored bytes (default: none). */
  maxBytes?: number;
}

/** Whether a JetStream API error says the stream or consumer does not exist. */
export function isNotFound(e: unknown): boolean {
  const m = describeCause(e);
  return /not found|10059|10014/i.test(m) || (e as { code?: number }).code === 404;
}

/**
 * Makes sure `stream` exists with its subject (file storage, limits retention: its batches are kept
 * for other consumers and later runs), and its dead-letter stream. An existing stream is left as it is
 * (its subject is checked).
 */
export async function ensureBatchStream(jsm: JetStreamManager, stream: string, options: BatchStreamOptions = {}): Promise<StreamInfo> {
  const subject = batchSubject(stream);
  const info = await ensureStream(jsm, stream, subject, options);
  await ensureStream(jsm, deadLetterStream(stream), deadLetterSubject(stream), {});
  return info;
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string, options: BatchStreamOptions): Promise<StreamInfo> {
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects?.includes(subject)) {
      throw new JetStreamError(`stream ${name} exists but does not hold subject ${subject} (it has ${JSON.stringify(info.config.subjects)}); choose another stream name`);
    }
    return info;
  } catch (e) {
    if (e instanceof JetStreamError || !isNotFound(e)) throw e instanceof JetStreamError ? e : new JetStreamError(`stream ${name}: ${describeCause(e)}`, { cause: e });
  }
  try {
    return await jsm.streams.add({
      name,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(options.duplicateWindowMs ?? 10 * 60_000),
      max_age: options.maxAgeMs === undefined ? 0 : nanos(options.maxAgeMs),
      max_bytes: options.maxBytes ?? -1,
    });
  } catch (e) {
    // another process made it in between: fine
    try {
      return await jsm.streams.info(name);
    } catch {
      throw new JetStreamError(`cannot create stream ${name} (${describeCause(e)}); is JetStream enabled on the server (nats-server -js)?`, { cause: e });
    }
  }
}

export interface ConsumerOptions {
  /** Unacknowledged messages the server hands out at most (across every process sharing it; default 16). */
  maxAckPending?: number;
  /** Milliseconds before an unacknowledged message is redelivered (to another process; default 30 s). */
  ackWaitMs?: number;
  /** Start at this stream sequence (a new consumer; default: the first message). */
  startSeq?: number;
  /** Delete an existing consumer of that name first (a run that owns its consumer and resumes from its checkpoint). */
  recreate?: boolean;
}

/**
 * A durable pull consumer with explicit acks on `stream`: shared by every process that binds to it
 * (a work queue). Existing consumers are reused (their config updated to `maxAckPending` / `ackWaitMs`)
 * unless `recreate`.
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, name: string, options: ConsumerOptions = {}): Promise<ConsumerInfo> {
  checkConsumerName(name);
  const maxAckPending = options.maxAckPending ?? 16;
  const ackWait = nanos(options.ackWaitMs ?? 30_000);
  if (options.recreate) {
    await jsm.consumers.delete(stream, name).catch((e: unknown) => {
      if (!isNotFound(e)) throw new JetStreamError(`consumer ${name} of stream ${stream}: cannot delete (${describeCause(e)})`, { cause: e });
    });
  } else {
    try {
      const info = await jsm.consumers.info(stream, name);
      if (info.config.max_ack_pending !== maxAckPending || info.config.ack_wait !== ackWait) {
        return await jsm.consumers.update(stream, name, { max_ack_pending: maxAckPending, ack_wait: ackWait });
      }
      return info;
    } catch (e) {
      if (!isNotFound(e)) throw new JetStreamError(`consumer ${name} of stream ${stream}: ${describeCause(e)}`, { cause: e });
    }
  }
  try {
    return await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: maxAckPending,
      ack_wait: ackWait,
      ...(options.startSeq !== undefined && options.startSeq > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.startSeq } : { deliver_policy: DeliverPolicy.All }),
    });
  } catch (e) {
    try {
      return await jsm.consumers.info(stream, name);
    } catch {
      throw new JetStreamError(`cannot create consumer ${name} on stream ${stream} (${describeCause(e)})`, { cause: e });
    }
  }
}
