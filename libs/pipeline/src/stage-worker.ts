/**
 * The worker side of `workerStage`: builds the stage operator from the factory named in `workerData`,
 * then for every posted batch (Arrow IPC bytes) pushes the decoded record batch through it and posts the
 * result back as Arrow IPC bytes, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeIpcStream, encodeIpcStream } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import { Subject, type OperatorFunction } from 'rxjs';
import type { WorkerMessage, WorkerStageSpec } from './worker-stage.js';

const port = parentPort;
if (port === null) throw new Error('stage-worker.js must run in a worker thread');
const spec = workerData as WorkerStageSpec;

function fail(err: unknown): void {
  port!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
}

const ready = (async () => {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const factory = mod[spec.export];
  if (typeof factory !== 'function') throw new Error(`module ${spec.module} exports no function "${spec.export}"`);
  const operator = (await (factory as (...a: unknown[]) => unknown)(...(spec.args ?? []))) as OperatorFunction<RecordBatch, RecordBatch>;
  const input = new Subject<RecordBatch>();
  input.pipe(operator).subscribe({
    next(batch) {
      const bytes = encodeIpcStream([batch]);
      port.postMessage({ type: 'batch', bytes } satisfies WorkerMessage, [bytes.buffer as ArrayBuffer]);
    },
    error: fail,
  });
  return input;
})();

// Messages are handled strictly in arrival order (each waits for the operator to be built).
let chain: Promise<unknown> = ready;
port.on('message', (msg: WorkerMessage) => {
  if (msg.type !== 'batch') return;
  chain = chain.then(async () => {
    const input = await ready;
    for (const b of decodeIpcStream(msg.bytes, 'main thread').batches) input.next(b);
  });
  chain.catch(fail);
});
ready.catch(fail);
