import type { BackendChoice } from '@atkd/backend';
import { loadAnyModel, type LoadAnyModelOptions } from '@atkd/models';
import { addTeacherLogits } from '@atkd/teacher';
import type { RecordBatch } from 'apache-arrow';
import type { OperatorFunction } from 'rxjs';

/** The teacher stage of the model at `spec` (`loadAnyModel` of `@atkd/models`), on the best backend (or `backend`). */
export async function teacherStageFactory(spec: string, options: LoadAnyModelOptions & { batchSize?: number; backend?: BackendChoice } = {}): Promise<OperatorFunction<RecordBatch, RecordBatch>> {
  const { initBackend } = await import('@atkd/backend'); // lazily: importing it registers the wasm backend
  await initBackend({ log: false, ...(options.backend === undefined ? {} : { prefer: options.backend }) });
  const model = await loadAnyModel(spec, options);
  return addTeacherLogits(model, { batchSize: options.batchSize });
}
