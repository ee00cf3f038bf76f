import type { RecordBatch } from 'apache-arrow';
import type { Observable } from 'rxjs';
import type { StageColumn } from './names.js';

/** The phantom key of {@link Batch}: a type, never a value (no batch has it at run time). */
declare const stageColumns: unique symbol;

/**
 * A record batch typed by the stage columns it carries, for the compiler only: no run-time cost (the
 * key is optional and never set). The teacher stage emits `Batch<'teacher_logits'>`; `addTemperature`
 * takes a `Batch<'teacher_logits'>` and emits `Batch<'teacher_logits' | 'temperature'>`; so a pipeline
 * that puts a stage before the one whose column it reads does not compile. A batch of more columns
 * goes where fewer are needed. A plain `RecordBatch` (read from a file or a stream: its columns are
 * known only at run time) goes anywhere, and the stage checks it (a `ColumnError` naming the column).
 */
export type Batch<C extends StageColumn = never> = RecordBatch & { readonly [stageColumns]?: { readonly [K in C]: true } };

/**
 * The type of a stage operator that reads the columns `Needs` and adds `Adds`, passing every other
 * column through: `Batch<C | Needs>` in, `Batch<C | Needs | Adds>` out, for whatever columns `C` the
 * batches already carry.
 */
export type AddColumns<Needs extends StageColumn, Adds extends StageColumn> = <C extends StageColumn = never>(source: Observable<Batch<C | Needs>>) => Observable<Batch<C | Needs | Adds>>;
