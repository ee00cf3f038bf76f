import { concatMap, defer, finalize, map, type ObservableInput, type OperatorFunction } from 'rxjs';
import type { Holdable } from './holds.js';

/**
 * `concatMap` for held values: takes a hold on each value the moment it arrives (so the source counts it
 * as in flight even while it waits in `concatMap`'s buffer) and releases it when the inner Observable
 * completes, errors or is unsubscribed (values still waiting in the buffer are released when the
 * stream errors or is unsubscribed). With {@link cifarBatches} this bounds the read-ahead to
 * `prefetch` batches however long `project` takes.
 */
export function concatMapBatch<T extends Holdable, R>(project: (value: T, index: number) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      const waiting = new Set<() => void>(); // holds of values still in concatMap's buffer
      return source.pipe(
        map((value) => {
          const release = value.hold();
          waiting.add(release);
          return { value, release };
        }),
        concatMap(({ value, release }, i) => {
          waiting.delete(release);
          return defer(() => project(value, i)).pipe(finalize(release));
        }),
        // an error or unsubscribe drops the buffer: release what it held
        finalize(() => {
          for (const release of waiting) release();
          waiting.clear();
        }),
      );
    });
}
