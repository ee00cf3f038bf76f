import { concatMap, defer, finalize, map, type ObservableInput, type OperatorFunction } from 'rxjs';

/** Anything that can be held in flight (a {@link CifarBatch}). */
export interface Holdable {
  hold(): () => void;
}

/**
 * `concatMap` for held values: takes a hold on each value the moment it arrives (so the source counts it
 * as in flight even while it waits in `concatMap`'s buffer) and releases it when the inner Observable
 * completes, errors or is unsubscribed. With {@link cifarBatches} this bounds the read-ahead to
 * `prefetch` batches however long `project` takes.
 */
export function concatMapBatch<T extends Holdable, R>(project: (value: T, index: number) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    source.pipe(
      map((value) => ({ value, release: value.hold() })),
      concatMap(({ value, release }, i) => defer(() => project(value, i)).pipe(finalize(release))),
    );
}
