/**
 * The sink: an operator that publishes each {@link Envelope} to a stream's subject with its message id
 * (`e<epoch>-s<step>`), waits for the server's acknowledgement (so a publish is stored, or a re-publish
 * reported as a duplicate, before the input is acked), retries while the server is away, and can hold
 * back while a named downstream consumer has too many messages pending.
 */
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { concatMap, takeWhile, type OperatorFunction } from 'rxjs';
import { encodeBatchMessage, type Envelope } from './codec.js';
import { JetStreamError, describeCause } from './errors.js';
import { batchSubject } from './subjects.js';
import { aheadThrottle, type ThrottleOptions, type WaitForRoomOptions } from './throttle.js';
import { outageTimeoutMs } from './outage.js';

export interface PublishedBatch<T extends Envelope = Envelope> {
  input: T;
  /** Stream sequence the batch is stored at. */
  seq: number;
  /** True when the server already had this message id (a re-publish): nothing was added. */
  duplicate: boolean;
  bytes: number;
}

export interface SinkOptions {
  /** Limits the publisher to `maxPending` messages not yet acked by a consumer of the stream (skipped while that consumer does not exist). */
  throttle?: ThrottleOptions;
  /** Progress while held back by the throttle, and a signal that ends the wait (the operator then completes). */
  wait?: WaitForRoomOptions;
  /** Milliseconds to keep retrying a publish while the server is away (default 120 s, or ATKD_NATS_OUTAGE_S). */
  outageTimeoutMs?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes one envelope; resolves to its stream sequence and whether it was a duplicate. */
export async function publishBatch(nc: NatsConnection, js: JetStreamClient, stream: string, e: Envelope, options: SinkOptions = {}): Promise<{ ack: PubAck; bytes: number }> {
  const enc = encodeBatchMessage(e);
  const max = nc.info?.max_payload;
  if (max !== undefined && enc.data.length > max) {
    throw new JetStreamError(`stream ${stream}: batch at step ${e.step} (epoch ${e.epoch}) encodes to ${enc.data.length} bytes, over the server's max_payload ${max}; use a smaller --batch-size or raise max_payload in the server's config`);
  }
  const subject = batchSubject(stream);
  const outage = options.outageTimeoutMs ?? outageTimeoutMs();
  const started = Date.now();
  for (;;) {
    try {
      const ack = await js.publish(subject, enc.data, { msgID: enc.msgID, headers: enc.headers, timeout: 10_000 });
      return { ack, bytes: enc.data.length };
    } catch (err) {
      const msg = describeCause(err);
      if (nc.isClosed() || Date.now() - started > outage) {
        throw new JetStreamError(`stream ${stream}: could not publish the batch at step ${e.step} (epoch ${e.epoch}) (${msg}); is the stream there and the NATS server up?`, { cause: err });
      }
      options.log?.(`atkd: stream ${stream}: publish of step ${e.step} failed (${msg}); retrying`);
      await sleep(500);
    }
  }
}

/**
 * The sink operator: publishes every envelope to `stream` (in order, one at a time) and emits a
 * {@link PublishedBatch} once the server has stored it.
 */
export function publishBatches<T extends Envelope>(nc: NatsConnection, js: JetStreamClient, stream: string, options: SinkOptions = {}): OperatorFunction<T, PublishedBatch<T>> {
  const room = options.throttle === undefined ? undefined : aheadThrottle(stream, options.throttle);
  return (source) =>
    source.pipe(
      concatMap(async (input: T): Promise<PublishedBatch<T> | null> => {
        if (room !== undefined && !(await room.waitForRoom(options.wait))) return null;
        const { ack, bytes } = await publishBatch(nc, js, stream, input, options);
        room?.published();
        return { input, seq: ack.seq, duplicate: ack.duplicate, bytes };
      }),
      takeWhile((p): p is PublishedBatch<T> => p !== null),
    );
}
