/**
 * `distill`: source -> teacher logits -> temperatures -> soft targets -> student updates, as one cold
 * Observable of step metrics. Between stages the data are Arrow record batches (never tensors), so any
 * stage can be swapped, instrumented or run elsewhere (`wrap`). Backpressure is end to end (see
 * `in-order-holds.ts`); unsubscribing stops the source (it closes its file) and frees every tensor the
 * pipeline made (the student's optimizer state included, unless the caller passed its own trainer).
 */
import type * as tf from '@tensorflow/tfjs';
import { IMAGE_STRONG, readPosition, withImageColumn, withPosition, type Batch, type StageColumn, type TEACHER_LOGITS, type TEMPERATURE } from '@atkd/columns';
import { toRecordBatch, type CifarBatch } from '@atkd/data';
import { addSoftTargets, type SoftTargetsStageOptions } from '@atkd/soft-targets';
import { StudentTrainer, updateStudent, type StepMetrics, type StudentOptions } from '@atkd/student';
import { addTeacherLogits, type TeacherLogitsOptions } from '@atkd/teacher';
import { getStrategy, isLearnable, addTemperature, type TemperatureStrategy } from '@atkd/temperature';
import { RecordBatch } from 'apache-arrow';
import { Observable, defer, finalize, identity, map, type OperatorFunction } from 'rxjs';
import { HoldQueue, releaseInOrder, type Held } from './in-order-holds.js';

/** The stages of the pipeline, in order, as named to {@link DistillOptions.wrap}. */
export const STAGES = ['teacher', 'temperature', 'soft-targets', 'student'] as const;
export type StageName = (typeof STAGES)[number];

/**
 * A batch stage: record batches in (carrying at least the stage columns `In`), record batches out
 * (carrying `Out`), one for one and in order. The column sets are types only (`Batch` of
 * `@atkd/columns`): `BatchStage` alone takes and gives any record batches.
 */
export type BatchStage<In extends StageColumn = never, Out extends StageColumn = never> = OperatorFunction<Batch<In>, Batch<Out>>;

/** What {@link DistillOptions.wrap} takes and returns: a stage on record batches of any columns (a worker stage, an instrumented one). */
export type AnyBatchStage = OperatorFunction<RecordBatch, RecordBatch>;

export interface DistillOptions {
  /**
   * The batches: `@atkd/data` `cifarBatches(...)` (typed-array batches with `hold()`: backpressure
   * reaches the file reader), or any Observable of Arrow record batches with the CIFAR columns.
   */
  source: Observable<CifarBatch> | Observable<RecordBatch>;
  /**
   * The teacher: a tf.LayersModel, or a model and/or a logits cache with teacher options; null when
   * the batches already carry `teacher_logits` (a stream a teacher service filled): no teacher stage.
   */
  teacher: tf.LayersModel | ({ model: tf.LayersModel | null } & TeacherLogitsOptions) | null;
  /** The temperature strategy: an instance, or a registry name (`static`, `adaptive`, ...). Default `adaptive` (paired, the authors' code). */
  strategy?: TemperatureStrategy | string;
  /** Options of a strategy given by name. */
  strategyOptions?: Readonly<Record<string, unknown>>;
  /** Soft-targets stage options (`{ order: n }` for Taylor), or false to skip the stage (the student then computes exact soft targets itself). */
  softTargets?: SoftTargetsStageOptions | false;
  /**
   * The student: a tf.LayersModel (a trainer is made per subscription and freed at the end), or a
   * caller-owned {@link StudentTrainer} (its optimizer state outlives the stream).
   */
  student: tf.LayersModel | StudentTrainer;
  /** Student options (SGD, loss weights), used when `student` is a model. */
  studentOptions?: StudentOptions;
  /**
   * Wraps a record-batch stage (run it in a worker, instrument it, delay it). The wrapped stage must
   * emit one batch per batch, in order. The student stage is not wrappable (it owns the tensors).
   */
  wrap?: (name: Exclude<StageName, 'student'>, stage: AnyBatchStage) => AnyBatchStage;
}

/** One step of {@link distill}: the student's metrics plus pipeline-level figures. */
export interface DistillStep extends StepMetrics {
  /** Images per second of the whole pipeline since the subscription started (source to student). */
  throughput: number;
  /** Milliseconds since the previous step was emitted (or since the start). */
  wallMs: number;
  /** Batches in flight between the head and the tail of the pipeline when this step was emitted. */
  inFlight: number;
}

function isCifarBatch(v: unknown): v is CifarBatch {
  return typeof v === 'object' && v !== null && !(v instanceof RecordBatch) && 'images' in v && 'schema' in v && 'hold' in v;
}

/**
 * Distils `teacher` into `student` over `source`: one {@link DistillStep} per batch. Cold: every
 * subscription runs the whole pipeline. Each step carries `hold()` (use `concatMapBatch` of
 * `@atkd/data`, or call it yourself) to keep its source batch in flight while an asynchronous consumer
 * works on it: then the source reads no further ahead than its `prefetch`.
 */
export function distill(options: DistillOptions): Observable<Held<DistillStep>> {
  const wrapAny = options.wrap ?? ((_name: string, stage: AnyBatchStage) => stage);
  // a wrapped stage keeps its column types: the compiler sees the order of the stages below
  const wrap = <In extends StageColumn, Out extends StageColumn>(name: Exclude<StageName, 'student'>, stage: BatchStage<In, Out>): BatchStage<In, Out> => wrapAny(name, stage);
  const teacherStage: BatchStage<never, typeof TEACHER_LOGITS> =
    options.teacher === null
      ? (batches) => batches as Observable<Batch<typeof TEACHER_LOGITS>> // they carry teacher_logits already (the next stage checks)
      : (() => {
          const spec = 'predict' in options.teacher ? { model: options.teacher as tf.LayersModel } : options.teacher;
          const { model, ...teacherOptions } = spec;
          return wrap('teacher', addTeacherLogits(model, teacherOptions));
        })();

  return defer(() => {
    // a strategy given by name is made per subscription (a learnable one has state)
    const strategy = typeof options.strategy === 'string' || options.strategy === undefined
      ? getStrategy(options.strategy ?? 'adaptive', options.strategyOptions ?? {})
      : options.strategy;
    const trainer = options.student instanceof StudentTrainer ? options.student : undefined;
    if (trainer !== undefined && isLearnable(strategy) && trainer.strategy !== strategy) {
      throw new Error(`distill: the temperature strategy "${strategy.name}" is learnable; the StudentTrainer given as student must be made with { strategy } (the same instance) so that it can train it`);
    }
    const queue = new HoldQueue();
    let step = 0;
    let images = 0;
    const started = performance.now();
    let last = started;

    const head = map((item: CifarBatch | RecordBatch): Batch => {
      // a record batch that carries its position (from a stream) keeps it
      const carried = isCifarBatch(item) ? {} : readPosition(item);
      const position = isCifarBatch(item) ? { epoch: item.epoch, step: item.step } : carried.epoch !== undefined && carried.step !== undefined ? { epoch: carried.epoch, step: carried.step } : { epoch: 0, step };
      step = position.step + 1;
      queue.push(item, position.step);
      let batch = isCifarBatch(item) ? toRecordBatch(item) : item;
      // MLKD's strong view travels as a column (cifarBatches with strongView: true)
      if (isCifarBatch(item) && item.imagesStrong !== undefined) batch = withImageColumn(batch, IMAGE_STRONG, item.imagesStrong);
      return withPosition(batch, position);
    });

    const studentStage = updateStudent(trainer ?? (options.student as tf.LayersModel), { ...options.studentOptions, strategy });
    const soft: BatchStage<typeof TEACHER_LOGITS | typeof TEMPERATURE, typeof TEACHER_LOGITS | typeof TEMPERATURE> = options.softTargets === false ? identity : wrap('soft-targets', addSoftTargets(options.softTargets ?? {}));

    return (options.source as Observable<CifarBatch | RecordBatch>).pipe(
      head,
      teacherStage,
      wrap('temperature', addTemperature(strategy)), // the epoch of a scheduled strategy: from the batch's position
      soft,
      studentStage,
      map((m: StepMetrics): DistillStep => {
        const now = performance.now();
        images += m.size;
        const out = { ...m, throughput: (images * 1000) / Math.max(now - started, 1e-9), wallMs: now - last, inFlight: queue.length };
        last = now;
        return out;
      }),
      releaseInOrder(queue, (m) => m.step),
      finalize(() => queue.releaseAll()),
    );
  });
}
