import type * as tf from '@tensorflow/tfjs';
import type { Batch, TEACHER_LOGITS, TEMPERATURE } from '@atkd/columns';
import { defer, finalize, map, type OperatorFunction } from 'rxjs';
import { StudentTrainer, type StepMetrics, type StudentOptions } from './trainer.js';

/**
 * The student stage as an RxJS operator: one SGD step per record batch, emitting that step's metrics.
 *
 * Given a model, each subscription makes its own {@link StudentTrainer} (fresh momentum buffers) and
 * frees it when the stream completes, errors or is unsubscribed. Given a trainer, the trainer is used
 * as is and stays the caller's to dispose (so the optimizer state can outlive one stream).
 * Steps run synchronously inside `next`, so the upstream source sees each batch finished when its
 * `next` returns (backpressure), and no tensor outlives a step.
 */
export function updateStudent(student: tf.LayersModel | StudentTrainer, options: StudentOptions = {}): OperatorFunction<Batch<typeof TEACHER_LOGITS | typeof TEMPERATURE>, StepMetrics> {
  return (source) =>
    defer(() => {
      const owned = student instanceof StudentTrainer ? undefined : new StudentTrainer(student, options);
      const trainer = owned ?? (student as StudentTrainer);
      return source.pipe(
        map((batch) => trainer.step(batch)),
        finalize(() => owned?.dispose()),
      );
    });
}
