/**
 * `atkd stage teacher`: the teacher stage as a Unix filter (Arrow IPC stream of CIFAR batches on stdin,
 * the same with `teacher_logits` on stdout). Structurally an `@atkd/cli` StageDefinition, kept here so
 * that the CLI only registers it.
 */
import { TEACHER_LOGITS, logitsType, requireField } from '@atkd/columns';
import { Field, Schema, type RecordBatch } from 'apache-arrow';
import type { OperatorFunction } from 'rxjs';
import { LogitsCache } from './cache.js';
import { loadTeacher } from './load.js';
import { modelClasses } from './logits.js';
import { teacherLogits } from './teacher-logits.js';

/** The parsed command line the CLI hands to a stage (`--name value` flags and positionals). */
export interface StageArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/** What the stage runs (an `@atkd/cli` StageRun). */
export interface TeacherStageRun {
  operator: OperatorFunction<RecordBatch, RecordBatch>;
  emptySchema: (input: Schema) => Schema;
  close: () => void;
}

function flag(args: StageArgs, name: string, context: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new Error(`${context}: flag --${name} needs a value`);
  return v;
}

function positiveIntFlag(args: StageArgs, name: string, context: string): number | undefined {
  const raw = flag(args, name, context);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${context}: flag --${name} must be a positive integer, got "${raw}"`);
  return v;
}

export const teacherStage = {
  name: 'teacher',
  summary: 'add the `teacher_logits` column (reads image) from a TF.js model, a PyTorch checkpoint or a logits cache',
  usage: 'teacher --model DIR|FILE.pth [--arch NAME] [--batch-size N] [--cache FILE] < in.arrows > out.arrows',
  flags: {
    model: { description: 'the teacher: a TF.js layers model directory (model.json), a PyTorch .pth (with --arch) or a zoo name', placeholder: 'DIR' },
    arch: { description: 'zoo architecture of a PyTorch checkpoint (e.g. resnet32x4)', placeholder: 'NAME' },
    classes: { description: 'output classes of a PyTorch checkpoint / zoo model (default 100)', placeholder: 'N' },
    'batch-size': { description: 'rows per forward pass (default: the whole batch)', placeholder: 'N' },
    cache: { description: 'logits cache (Arrow file from writeLogitsCache): look logits up by `index` instead of running the model', placeholder: 'FILE' },
  },
  details: () =>
    'Runs the teacher in inference mode (no gradient, BN running statistics) on the image column\n' +
    '(CIFAR-100 mean/std normalisation, NHWC) and adds teacher_logits: FixedSizeList<Float32>[classes].\n' +
    'With --cache the logits come from the cache (checked against the teacher and the data metadata).',
  async create(args: StageArgs, context: string): Promise<TeacherStageRun> {
    const spec = flag(args, 'model', context);
    const cachePath = flag(args, 'cache', context);
    if (spec === undefined && cachePath === undefined) throw new Error(`${context}: flag --model is required (or --cache FILE)`);
    const batchSize = positiveIntFlag(args, 'batch-size', context);
    const classesFlag = positiveIntFlag(args, 'classes', context);
    // imported here, not at the top: loading @atkd/backend registers the wasm backend (a side effect
    // users of this library who never run the filter should not get)
    const { initBackend } = await import('@atkd/backend');
    await initBackend({ log: false });
    const model = spec === undefined ? null : await loadTeacher(spec, { arch: flag(args, 'arch', context), classes: classesFlag });
    const cache = cachePath === undefined ? undefined : await LogitsCache.open(cachePath);
    const classes = model !== null ? modelClasses(model) : cache!.classes;
    return {
      operator: teacherLogits(model, { batchSize, cache, source: 'stdin' }),
      emptySchema(input: Schema): Schema {
        requireField(input, 'image', 'stdin');
        const fields = input.fields.filter((f) => f.name !== TEACHER_LOGITS);
        fields.push(new Field(TEACHER_LOGITS, logitsType(classes), false));
        return new Schema(fields, input.metadata);
      },
      close: () => model?.dispose(),
    };
  },
};
