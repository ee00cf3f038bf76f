/**
 * Reordering by step: emits items in the order `first, first + 1, ...` of their `step`, whatever
 * order they arrive in (several stage services finish out of order). An item for a step already
 * emitted or already waiting is a duplicate (a redelivery): handed to `onDuplicate` (ack it), never
 * emitted. At most `maxWaiting` items wait for a missing step; one more is an error naming it.
 */
import { Observable, type OperatorFunction } from 'rxjs';

export interface ReorderOptions<T> {
  /** The first step to emit (default 0; a resumed run gives its next step). */
  first?: number;
  /** Items allowed to wait for a missing step (default 1024). */
  maxWaiting?: number;
  /** An item whose step was already emitted or is already waiting. */
  onDuplicate?: (item: T) => void;
  /** An item before `first`: already done by an earlier run (default: like a duplicate). */
  onStale?: (item: T) => void;
}

export function reorderByStep<T extends { step: number }>(options: ReorderOptions<T> = {}): OperatorFunction<T, T> {
  const maxWaiting = options.maxWaiting ?? 1024;
  return (source) =>
    new Observable<T>((subscriber) => {
      let next = options.first ?? 0;
      const waiting = new Map<number, T>();
      return source.subscribe({
        next: (item) => {
          if (item.step < next) {
            (item.step < (options.first ?? 0) ? (options.onStale ?? options.onDuplicate) : options.onDuplicate)?.(item);
            return;
          }
          if (waiting.has(item.step)) {
            options.onDuplicate?.(item);
            return;
          }
          waiting.set(item.step, item);
          if (waiting.size > maxWaiting && !waiting.has(next)) {
            subscriber.error(new RangeError(`reorderByStep: step ${next} has not arrived while ${waiting.size} later steps wait (up to ${Math.max(...waiting.keys())}); was it lost upstream? (raise the wait limit if the producers are just far apart)`));
            return;
          }
          while (waiting.has(next)) {
            const it = waiting.get(next) as T;
            waiting.delete(next);
            next++;
            subscriber.next(it);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          if (waiting.size > 0) {
            subscriber.error(new RangeError(`reorderByStep: the source ended while step ${next} is missing (${waiting.size} later steps waiting)`));
          } else subscriber.complete();
        },
      });
    });
}
