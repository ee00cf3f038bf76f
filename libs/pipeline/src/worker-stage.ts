/**
 * `workerStage`: runs a record-batch stage operator in a worker thread. Batches cross the thread
 * boundary as Arrow IPC bytes (schema, record-batch metadata and all; the buffer is transferred, not
 * copied), so the stage's state and compute live in the worker while the main thread trains the student.
 *
 * The operator is built *in the worker* by a factory: `{ module, export, args }` names a module the
 * worker imports, the exported function, and JSON-serialisable arguments; the function returns (or
 * resolves to) an `OperatorFunction<RecordBatch, RecordBatch>` that emits one batch per batch, in order.
 * `@atkd/pipeline/factories` exports light factories for the temperature and soft-targets stages
 * (`temperatureStageFactory`, `softTargetsStageFactory`); `@atkd/pipeline` adds `teacherStageFactory`.
 *
 * Every input batch is posted at once (the worker queues and processes them in order), so the worker
 * computes batch k+1 while the main thread trains on batch k; the source's holds (see `distill`) still
 * bound how many are in flight. Unsubscribing terminates the worker. Not for learnable or student-paired
 * strategies whose instance the student stage must share (`ctkd`): a worker has its own copy.
 */
import { Worker } from 'node:worker_threads';
import { decodeIpcStream, encodeIpcStream } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { Observable, type OperatorFunction } from 'rxjs';

/** Which factory the worker calls to build its stage. */
export interface WorkerStageSpec {
  /** Module specifier or file URL the worker imports (e.g. `@atkd/pipeline`). */
  module: string;
  /** Name of the exported factory. */
  export: string;
  /** Its arguments (structured-clonable). */
  args?: unknown[];
}

/** Messages between the main thread and the stage worker. @internal */
export type WorkerMessage =
  | { type: 'batch'; bytes: Uint8Array }
  | { type: 'error'; message: string }
  | { type: 'complete' };

/** The worker script (compiled `dist/stage-worker.js`, also when this module runs from `src/` in tests). */
export function workerScriptUrl(): URL {
  const here = new URL(import.meta.url);
  return here.pathname.endsWith('.ts') ? new URL('../dist/stage-worker.js', here) : new URL('./stage-worker.js', here);
}

/** A record-batch stage that runs in its own worker thread, per subscription. */
export function workerStage(spec: WorkerStageSpec, options: { onWorker?: (worker: Worker) => void } = {}): OperatorFunction<RecordBatch, RecordBatch> {
  return (source) =>
    new Observable<RecordBatch>((subscriber) => {
      const worker = new Worker(workerScriptUrl(), { workerData: spec });
      options.onWorker?.(worker);
      let pending = 0;
      let sourceDone = false;
      let finished = false;
      const finish = (f: () => void) => {
        if (finished) return;
        finished = true;
        f();
        void worker.terminate();
      };
      worker.on('message', (msg: WorkerMessage) => {
        if (finished) return;
        if (msg.type === 'error') return finish(() => subscriber.error(new Error(`stage ${spec.module}#${spec.export} (worker): ${msg.message}`)));
        if (msg.type !== 'batch') return;
        pending -= 1;
        let batches: RecordBatch[];
        try {
          batches = decodeIpcStream(msg.bytes, `worker ${spec.export}`).batches;
        } catch (err) {
          return finish(() => subscriber.error(err));
        }
        for (const b of batches) subscriber.next(b);
        if (sourceDone && pending === 0) finish(() => subscriber.complete());
      });
      worker.on('error', (err) => finish(() => subscriber.error(err)));
      worker.on('exit', (code) => finish(() => subscriber.error(new Error(`stage ${spec.module}#${spec.export}: the worker exited (code ${code})`))));
      const sub = source.subscribe({
        next(batch) {
          pending += 1;
          const bytes = encodeIpcStream([batch]);
          worker.postMessage({ type: 'batch', bytes } satisfies WorkerMessage, [bytes.buffer as ArrayBuffer]);
        },
        error: (err: unknown) => finish(() => subscriber.error(err)),
        complete() {
          sourceDone = true;
          if (pending === 0) finish(() => subscriber.complete());
        },
      });
      return () => {
        sub.unsubscribe();
        finished = true;
        void worker.terminate();
      };
    });
}
