/**
 * The source: an Observable of record batches from a durable pull consumer. Each emitted
 * {@link Delivery} is held (unacknowledged) until its consumer calls `ack()` after its step is done;
 * a process holds at most `inFlight` of them and pulls more only as they are acked, and the server
 * hands out at most the consumer's `max_ack_pending` across every process sharing it, so a slow
 * consumer slows the server, not the heap. Corrupt messages go to the dead letters (see `dead-letter.ts`).
 */
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { Observable } from 'rxjs';
import { decodeBatchMessage, type Envelope } from './codec.js';
import { deadLetter } from './dead-letter.js';
import { BatchMessageError, JetStreamError, describeCause } from './errors.js';
import { outageTimeoutMs } from './outage.js';

/** One batch from the stream, unacknowledged until `ack()`. */
export interface Delivery extends Envelope {
  /** The message id (`e<epoch>-s<step>`). */
  id: string;
  /** Stream sequence of the message. */
  seq: number;
  /** How many times the server has delivered it (1 the first time). */
  deliveries: number;
  /** Acknowledge: the step is done; the server will not deliver it again. Idempotent. */
  ack(): void;
  /** Give it back for redelivery (to any process). Idempotent. */
  nak(): void;
  /** The raw message (for dead-lettering). */
  msg: JsMsg;
}

export interface SourceOptions {
  stream: string;
  /** The durable consumer (made with `ensureConsumer`). */
  consumer: string;
  /** Deliveries this process holds at most (default 2). */
  inFlight?: number;
  /** Milliseconds a pull waits for messages before asking again (default 2000, at least 1000). */
  expiresMs?: number;
  /** Lines for dead letters and reconnects (default: stderr). */
  log?: (line: string) => void;
  /** Milliseconds the source keeps retrying while the server is unreachable before it fails (default 120 s, or ATKD_NATS_OUTAGE_S). */
  outageTimeoutMs?: number;
  /**
   * Nak what is still held when unsubscribed (default false: a downstream still working on a delivery
   * may ack it after the unsubscription; a held delivery nobody acks is redelivered after the ack wait).
   * Give true when the whole chain is torn down at once (a service stopping).
   */
  releaseOnUnsubscribe?: boolean;
  /** Called when a message is dead-lettered. */
  onDeadLetter?: (msg: JsMsg, reason: unknown) => void;
}

const stderrLog = (line: string) => void process.stderr.write(`${line}\n`);

/** Deliveries a process holds at most unless told otherwise (the source's and a stage service's `inFlight`). */
export const DEFAULT_IN_FLIGHT = 2;

/** The in-flight bound in effect for an `inFlight` option: at least 1, {@link DEFAULT_IN_FLIGHT} when not given. */
export function inFlightOf(inFlight: number | undefined): number {
  return Math.max(1, inFlight ?? DEFAULT_IN_FLIGHT);
}

/**
 * Batches of `options.stream` through the durable consumer `options.consumer`. Never completes by
 * itself (a stream has no end): take what you need, or unsubscribe.
 */
export function batchSource(js: JetStreamClient, options: SourceOptions): Observable<Delivery> {
  const inFlight = inFlightOf(options.inFlight);
  const expires = Math.max(1000, options.expiresMs ?? 2000);
  const log = options.log ?? stderrLog;
  const outageTimeout = options.outageTimeoutMs ?? outageTimeoutMs();
  return new Observable<Delivery>((subscriber) => {
    let stopped = false;
    const held = new Set<Delivery>();
    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const run = async () => {
      let consumer: Consumer;
      try {
        consumer = await js.consumers.get(options.stream, options.consumer);
      } catch (e) {
        throw new JetStreamError(`consumer ${options.consumer} of stream ${options.stream}: ${describeCause(e)} (does the stream exist?)`, { cause: e });
      }
      // keep held messages alive while a slow step works on them
      const info = await consumer.info(true).catch(() => null);
      const ackWaitMs = info !== null ? Math.max(1000, Number(info.config.ack_wait ?? 30e9) / 1e6) : 30_000;
      heartbeat = setInterval(() => {
        for (const d of held) d.msg.working();
      }, Math.max(500, ackWaitMs / 3));
      heartbeat.unref?.();
      let outageSince: number | null = null;
      while (!stopped) {
        while (!stopped && held.size >= inFlight) await new Promise<void>((r) => (wake = r));
        if (stopped) break;
        try {
          const messages = await consumer.fetch({ max_messages: inFlight - held.size, expires });
          for await (const m of messages) {
            if (stopped) {
              m.nak();
              continue;
            }
            outageSince = null;
            let env: Envelope;
            try {
              env = decodeBatchMessage(m.data, m.headers, `stream ${options.stream} seq ${m.seq}`);
            } catch (e) {
              if (!(e instanceof BatchMessageError)) throw e;
              options.onDeadLetter?.(m, e);
              await deadLetter(js, options.stream, m, e, log);
              continue;
            }
            let settled = false;
            const d: Delivery = {
              ...env,
              id: m.headers?.get('Nats-Msg-Id') ?? '',
              seq: m.seq,
              deliveries: m.info.deliveryCount,
              msg: m,
              ack: () => {
                if (settled) return;
                settled = true;
                held.delete(d);
                m.ack();
                poke();
              },
              nak: () => {
                if (settled) return;
                settled = true;
                held.delete(d);
                m.nak();
                poke();
              },
            };
            held.add(d);
            subscriber.next(d);
          }
        } catch (e) {
          if (stopped) break;
          // server restart / disconnect: keep asking until the outage lasts too long
          outageSince ??= Date.now();
          if (Date.now() - outageSince > outageTimeout) {
            throw new JetStreamError(`stream ${options.stream}, consumer ${options.consumer}: no message could be pulled for ${Math.round(outageTimeout / 1000)} s (${describeCause(e)}); is the NATS server up?`, { cause: e });
          }
          log(`atkd: stream ${options.stream}: pull failed (${describeCause(e)}); retrying`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    run().then(
      () => subscriber.complete(),
      (e: unknown) => subscriber.error(e),
    );
    return () => {
      stopped = true;
      if (heartbeat !== undefined) clearInterval(heartbeat);
      if (options.releaseOnUnsubscribe === true) for (const d of [...held]) d.nak();
      poke();
    };
  });
}
