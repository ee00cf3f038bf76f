import type { BackendChoice } from '@atkd/backend';
import { loadTeacher, teacherLogits, type LoadTeacherOptions } from '@atkd/teacher';
import type { RecordBatch } from 'apache-arrow';
import type { OperatorFunction } from 'rxjs';

/** The teacher stage of the model at `spec` (`loadTeacher`), on the best backend (or `backend`). */
export async function teacherStageFactory(spec: string, options: LoadTeacherOptions & { batchSize?: number; backend?: BackendChoice } = {}): Promise<OperatorFunction<RecordBatch, RecordBatch>> {
  const { initBackend } = await import('@atkd/backend'); // lazily: importing it registers the wasm backend
  await initBackend({ log: false, ...(options.backend === undefined ? {} : { prefer: options.backend }) });
  const model = await loadTeacher(spec, options);
  return teacherLogits(model, { batchSize: options.batchSize });
}
