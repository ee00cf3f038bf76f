/**
 * End-to-end backpressure for a chain of 1:1 record-batch stages. At the head each source item is
 * *held* (its `hold()`, as `@atkd/data` batches offer) and queued; at the tail each result releases
 * the oldest queued hold once it has been delivered and every hold the consumer took on it is released.
 * So a backpressured source counts a batch as in flight until the consumer is done with its step,
 * whatever the stages in between do (synchronous or asynchronous), and nothing buffers without bound.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { holdCounter, type Holdable } from '@atkd/data';

/** One queued item: its position (for checking that stages keep order) and its hold. */
export interface HoldEntry {
  step: number;
  release: () => void;
}

/** The queue of held items shared by the head and the tail of one subscription. */
export class HoldQueue {
  private readonly entries: HoldEntry[] = [];

  /** Holds `item` (if it can be held) at position `step`. */
  push(item: unknown, step: number): void {
    const release = typeof (item as Partial<Holdable>)?.hold === 'function' ? (item as Holdable).hold() : () => undefined;
    this.entries.push({ step, release });
  }

  /** The oldest entry; throws if a stage emitted a result out of order or one no input was queued for. */
  shift(step: number): HoldEntry {
    const e = this.entries.shift();
    if (e === undefined) throw new Error(`pipeline: a stage emitted step ${step} with no batch in flight (stages must emit one batch per batch)`);
    if (e.step !== step) {
      e.release();
      throw new Error(`pipeline: step ${step} arrived while step ${e.step} was expected; stages must keep batches in order, one out per one in`);
    }
    return e;
  }

  /** Items in flight between head and tail. */
  get length(): number {
    return this.entries.length;
  }

  /** Releases every queued hold (on completion, error or unsubscribe). */
  releaseAll(): void {
    for (const e of this.entries.splice(0)) e.release();
  }
}

/** A value delivered with a `hold()` that keeps the matching source batch in flight. */
export type Held<T> = T & Holdable;

/**
 * The tail: attaches `hold()` to every value (matching the queue's oldest entry by `stepOf`) and
 * releases the entry when the value's delivery returned and every hold taken on it is released.
 */
export function releaseInOrder<T extends object>(queue: HoldQueue, stepOf: (value: T) => number): OperatorFunction<T, Held<T>> {
  return (source) =>
    new Observable<Held<T>>((subscriber) => {
      const sub = source.subscribe({
        next(value) {
          let entry: HoldEntry;
          try {
            entry = queue.shift(stepOf(value));
          } catch (err) {
            subscriber.error(err);
            return;
          }
          const holds = holdCounter(entry.release);
          const held = Object.assign(value, { hold: holds.hold }) as Held<T>;
          try {
            subscriber.next(held);
          } finally {
            holds.release();
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        queue.releaseAll();
      };
    });
}
