/**
 * A student's view of a stream: its batches in step order, in segments, each step exactly once, with a
 * stream position to checkpoint and resume from. Over a durable pull consumer owned by the run (made
 * again at the checkpointed stream sequence on resume): deliveries arrive in stream order, which several
 * stage services make differ from step order, so they wait (at most `window`) until their step is next.
 * A step seen again (a redelivery, a re-publish past the duplicate window) or before the run's position
 * is acked and dropped; `stats` counts them.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Observable, type Subscription } from 'rxjs';
import { JetStreamError } from './errors.js';
import { batchSource, type Delivery } from './source.js';
import { ensureConsumer } from './streams.js';

/** Where a reader stands in its stream: resume by making the consumer again at `startSeq`. */
export interface StreamPosition {
  stream: string;
  consumer: string;
  /** The lowest stream sequence that may hold a step not yet done. */
  startSeq: number;
  /** The next step to do. */
  nextStep: number;
}

export interface OrderedReaderOptions {
  stream: string;
  consumer: string;
  /** Deliveries held at most while waiting for a missing step (default 64; the consumer's max_ack_pending too). */
  window?: number;
  /** Milliseconds before the server redelivers a held batch (default 60 s; kept alive while held). */
  ackWaitMs?: number;
  log?: (line: string) => void;
  /** Milliseconds a missing step may be waited for before the reader fails naming it (default 300 s). */
  missingTimeoutMs?: number;
}

export interface OrderedReaderStats {
  delivered: number;
  done: number;
  duplicates: number;
  stale: number;
}

export class OrderedStreamReader {
  readonly stats: OrderedReaderStats = { delivered: 0, done: 0, duplicates: 0, stale: 0 };
  private readonly waiting = new Map<number, Delivery>();
  private next = 0;
  private lastSeq = 0;
  private sub: Subscription | undefined;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private readonly window: number;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly options: OrderedReaderOptions,
  ) {
    this.window = options.window ?? 64;
  }

  /**
   * Opens the reader at `from` (a checkpointed position) or at the start of the stream with next step
   * `firstStep`: the run's consumer is (re)made at that stream sequence.
   */
  static async open(js: JetStreamClient, jsm: JetStreamManager, options: OrderedReaderOptions, from: { startSeq: number; nextStep: number } | null): Promise<OrderedStreamReader> {
    const r = new OrderedStreamReader(js, options);
    await ensureConsumer(jsm, options.stream, options.consumer, { recreate: true, startSeq: from?.startSeq, maxAckPending: r.window, ackWaitMs: options.ackWaitMs ?? 60_000 });
    r.next = from?.nextStep ?? 0;
    r.lastSeq = Math.max(0, (from?.startSeq ?? 1) - 1);
    r.start();
    return r;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private start(): void {
    this.sub = batchSource(this.js, { stream: this.options.stream, consumer: this.options.consumer, inFlight: this.window, log: this.options.log }).subscribe({
      next: (d) => {
        this.stats.delivered++;
        this.lastSeq = Math.max(this.lastSeq, d.seq);
        if (d.step < this.next) {
          this.stats.stale++;
          d.ack();
          return;
        }
        if (this.waiting.has(d.step)) {
          this.stats.duplicates++;
          d.ack();
          return;
        }
        this.waiting.set(d.step, d);
        this.poke();
      },
      error: (e: unknown) => {
        this.failure = e;
        this.poke();
      },
    });
  }

  /** The position to checkpoint (after every emitted step is done). */
  position(): StreamPosition {
    let min = this.lastSeq + 1;
    for (const d of this.waiting.values()) min = Math.min(min, d.seq);
    return { stream: this.options.stream, consumer: this.options.consumer, startSeq: min, nextStep: this.next };
  }

  /**
   * Steps `first .. first + count - 1` in order: each is emitted and, once `next` returns (the step is
   * done: a synchronous consumer) or the segment's subscriber acknowledges it, acked. `first` must be
   * the reader's next step.
   */
  segment(first: number, count: number): Observable<Delivery> {
    return new Observable<Delivery>((subscriber) => {
      let cancelled = false;
      void (async () => {
        if (first !== this.next) throw new JetStreamError(`stream ${this.options.stream}: asked for step ${first}, the reader is at step ${this.next}`);
        for (let i = 0; i < count && !cancelled; i++) {
          const step = this.next;
          const started = Date.now();
          while (!this.waiting.has(step) && !cancelled) {
            if (this.failure !== undefined) throw this.failure;
            if (this.waiting.size >= this.window) {
              throw new JetStreamError(`stream ${this.options.stream}: step ${step} has not arrived while ${this.waiting.size} later steps wait (the window is ${this.window}); was it lost upstream, or are the producers further apart than the window?`);
            }
            if (Date.now() - started > (this.options.missingTimeoutMs ?? 300_000)) {
              throw new JetStreamError(`stream ${this.options.stream}: step ${step} has not arrived after ${Math.round((Date.now() - started) / 1000)} s (${this.waiting.size} later steps wait); is its producer (feed, teacher service) running?`);
            }
            await new Promise<void>((r) => {
              this.wake = r;
              setTimeout(r, 1000);
            });
          }
          if (cancelled) break;
          const d = this.waiting.get(step) as Delivery;
          subscriber.next(d);
          // done (synchronous step): ack, move on
          this.waiting.delete(step);
          this.next = step + 1;
          this.stats.done++;
          d.ack();
          await new Promise<void>((r) => setImmediate(r)); // let signals and pulls in
        }
        subscriber.complete();
      })().catch((e: unknown) => subscriber.error(e));
      return () => {
        cancelled = true;
        this.poke();
      };
    });
  }

  close(): void {
    this.sub?.unsubscribe();
    this.waiting.clear();
  }
}
