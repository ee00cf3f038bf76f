import { hasColumn } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { Observable, Subject, type OperatorFunction } from 'rxjs';

/**
 * A one-for-one, synchronous stage that leaves alone the batches already carrying `column` (a stream
 * on which that stage ran as a service) and runs on the others; the stage is subscribed once, so a
 * stateful one keeps its state. Order is kept.
 */
export function skipWhenPresent(column: string, stage: OperatorFunction<RecordBatch, RecordBatch>): OperatorFunction<RecordBatch, RecordBatch> {
  return (source) =>
    new Observable<RecordBatch>((subscriber) => {
      const input = new Subject<RecordBatch>();
      const inner = input.pipe(stage).subscribe({ next: (b) => subscriber.next(b), error: (e: unknown) => subscriber.error(e) });
      const outer = source.subscribe({
        next: (b) => (hasColumn(b.schema, column) ? subscriber.next(b) : input.next(b)),
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          input.complete();
          subscriber.complete();
        },
      });
      return () => {
        outer.unsubscribe();
        inner.unsubscribe();
      };
    });
}
