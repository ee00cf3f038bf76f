/**
 * Staying at most N messages ahead of a downstream consumer (a bounded pending count with a slow
 * consumer): the one wait-for-room loop of the sink operator, the stage services and `atkd feed`.
 *
 * The pending count of the consumer (`num_pending + num_ack_pending`: stored but not yet delivered,
 * plus delivered but not yet acked) is asked of the server only when the messages published since the
 * last look could have filled the room; in between, each publish counts as one more pending message.
 * So a fast consumer costs one `consumer info` request per `maxPending` messages, and the producer
 * never gets more than `maxPending` ahead of what the server last reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamManager } from '@nats-io/jetstream';
import { JetStreamError, describeCause } from './errors.js';
import { isNotFound } from './streams.js';
import { outageTimeoutMs } from './outage.js';

export interface ThrottleOptions {
  jsm: JetStreamManager;
  /** The consumer of the target stream to stay ahead of by at most `maxPending` messages. */
  consumer: string;
  maxPending: number;
  /** Milliseconds between polls while held back (default 100). */
  pollMs?: number;
  /** Milliseconds to keep asking while the server does not answer (an outage) before failing (default 120 s, or ATKD_NATS_OUTAGE_S). */
  outageTimeoutMs?: number;
}

/** What {@link WaitForRoomOptions.onWait} is told on every poll that found no room. */
export interface RoomWait {
  stream: string;
  consumer: string;
  /** The consumer's pending count at this poll (null: the server did not answer; `error` says why). */
  pending: number | null;
  maxPending: number;
  /** Milliseconds since this wait began. */
  waitedMs: number;
  /** Polls so far in this wait (1 on the first one that found no room). */
  polls: number;
  error?: string;
}

export interface WaitForRoomOptions {
  /** Called on every poll that found no room (a progress line, or `working()` on a held message). */
  onWait?: (wait: RoomWait) => void;
  /** Stops waiting: {@link AheadThrottle.waitForRoom} then resolves to false. */
  signal?: AbortSignal;
}

/** A producer's throttle on one stream: call `waitForRoom()` before each publish, `published()` after it. */
export interface AheadThrottle {
  /**
   * Resolves to true once one more message fits (at once when the count since the last look allows
   * it, or when the consumer does not exist: nothing to stay ahead of), to false when `signal` aborted
   * first. Rejects when the server has not answered for `outageTimeoutMs`.
   */
  waitForRoom(options?: WaitForRoomOptions): Promise<boolean>;
  /** Counts one message published since the last look. */
  published(): void;
}

/** The throttle that keeps publishes to `stream` at most `options.maxPending` ahead of `options.consumer`. */
export function aheadThrottle(stream: string, options: ThrottleOptions): AheadThrottle {
  if (!Number.isInteger(options.maxPending) || options.maxPending < 1) throw new JetStreamError(`throttle on stream ${stream}: maxPending must be a positive integer, got ${options.maxPending}`);
  let known: number | null = null;
  let since = 0;
  const pollMs = options.pollMs ?? 100;
  const outage = options.outageTimeoutMs ?? outageTimeoutMs();
  return {
    published() {
      since++;
    },
    async waitForRoom(wait: WaitForRoomOptions = {}): Promise<boolean> {
      const { signal, onWait } = wait;
      if (signal?.aborted) return false;
      if (known !== null && known + since < options.maxPending) return true;
      const started = Date.now();
      let polls = 0;
      let failingSince: number | null = null;
      for (;;) {
        let pending: number | null = null;
        let error: string | undefined;
        try {
          const info = await options.jsm.consumers.info(stream, options.consumer);
          pending = info.num_pending + info.num_ack_pending;
          failingSince = null;
        } catch (e) {
          if (isNotFound(e)) {
            // no such consumer (yet): nothing to stay ahead of; look again after maxPending publishes
            known = 0;
            since = 0;
            return true;
          }
          error = describeCause(e);
          failingSince ??= Date.now();
          if (Date.now() - failingSince > outage) {
            throw new JetStreamError(`stream ${stream}: cannot read the pending count of consumer ${options.consumer} (${error}) for ${Math.round(outage / 1000)} s; is the NATS server up?`, { cause: e });
          }
        }
        known = pending;
        since = 0;
        if (pending !== null && pending < options.maxPending) return true;
        if (signal?.aborted) return false;
        polls++;
        onWait?.({ stream, consumer: options.consumer, pending, maxPending: options.maxPending, waitedMs: Date.now() - started, polls, ...(error === undefined ? {} : { error }) });
        try {
          await sleep(pollMs, undefined, signal === undefined ? undefined : { signal });
        } catch {
          return false; // aborted while asleep
        }
      }
    },
  };
}
