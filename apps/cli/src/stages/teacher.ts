import { Field, Schema } from 'apache-arrow';
import { TEACHER_LOGITS, logitsType, requireField } from '@atkd/columns';
import { MODEL_NAMES, loadAnyModel } from '@atkd/models';
import { LogitsCache, addTeacherLogits, modelClasses } from '@atkd/teacher';
import { UsageError, intFlag, renamed, stringFlag } from '../args.js';
import type { StageDefinition } from './stage.js';

export const teacherStage: StageDefinition = {
  name: 'teacher',
  summary: 'add the `teacher_logits` column (reads image) from a TF.js model, a PyTorch checkpoint or a logits cache',
  usage: 'teacher --teacher DIR|FILE.pth [--arch NAME] [--batch-size N] [--cache FILE] < in.arrows > out.arrows',
  flags: {
    teacher: { description: 'the teacher: a TF.js layers model directory (model.json), a PyTorch .pth (with --arch) or a zoo name', placeholder: 'DIR' },
    arch: { description: `zoo architecture of a PyTorch checkpoint (${MODEL_NAMES.slice(0, 4).join(', ')}, ...; see atkd models)`, placeholder: 'NAME' },
    classes: { description: 'output classes of a PyTorch checkpoint / zoo model (default 100)', placeholder: 'N' },
    'batch-size': { description: 'rows per forward pass (default: the whole batch)', placeholder: 'N' },
    cache: { description: 'logits cache (Arrow file from writeLogitsCache): look logits up by `index` instead of running the model', placeholder: 'FILE' },
    model: renamed('--teacher DIR|FILE.pth'),
  },
  details: () =>
    'Runs the teacher in inference mode (no gradient, BN running statistics) on the image column\n' +
    '(CIFAR-100 mean/std normalisation, NHWC) and adds teacher_logits: FixedSizeList<Float32>[classes].\n' +
    'With --cache the logits come from the cache (checked against the teacher and the data metadata).',
  async create(args, context, source = 'stdin') {
    const spec = stringFlag(args, 'teacher');
    const cachePath = stringFlag(args, 'cache');
    if (spec === undefined && cachePath === undefined) throw new UsageError(`${context}: flag --teacher is required (or --cache FILE)`);
    const batchSize = intFlag(args, 'batch-size', context, 1);
    const classes = intFlag(args, 'classes', context, 2);
    const arch = stringFlag(args, 'arch');
    if (arch !== undefined && !MODEL_NAMES.includes(arch)) throw new UsageError(`${context}: flag --arch: unknown model "${arch}" (known: ${MODEL_NAMES.join(', ')})`);
    // imported here, not at the top: loading @atkd/backend registers the wasm backend
    const { initBackend } = await import('@atkd/backend');
    await initBackend({ log: false });
    const model = spec === undefined ? null : await loadAnyModel(spec, { arch, classes });
    const cache = cachePath === undefined ? undefined : await LogitsCache.open(cachePath);
    const outClasses = model !== null ? modelClasses(model) : (cache as LogitsCache).classes;
    return {
      operator: addTeacherLogits(model, { batchSize, cache, source }),
      emptySchema(input: Schema): Schema {
        requireField(input, 'image', source);
        const fields = input.fields.filter((f) => f.name !== TEACHER_LOGITS);
        fields.push(new Field(TEACHER_LOGITS, logitsType(outClasses), false));
        return new Schema(fields, input.metadata);
      },
      close: () => void model?.dispose(),
    };
  },
};
