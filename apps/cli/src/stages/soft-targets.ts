import { Field, Schema } from 'apache-arrow';
import { logitsType, requireFloat32Column, requireLogitsColumn, SOFT_TARGETS, TEACHER_LOGITS, TEMPERATURE } from '@atkd/columns';
import { addSoftTargets } from '@atkd/soft-targets';
import { intFlag } from '../args.js';
import type { StageDefinition } from './stage.js';

export const softTargetsStage: StageDefinition = {
  name: 'soft-targets',
  summary: 'add the `soft_targets` column (reads teacher_logits, temperature); exact softmax unless --order N',
  usage: 'soft-targets [--order N] [--classes N] < in.arrows > out.arrows',
  flags: {
    order: { description: 'Taylor order of the exp expansion (default: exact softmax)', placeholder: 'N' },
    classes: { description: 'expected classes per row (checked against teacher_logits)', placeholder: 'N' },
  },
  details: () =>
    'Z-scores the logits when the temperature stage says its strategy standardizes (schema metadata\n' +
    'atkd.temperature.standardize). Each batch\'s metrics (record-batch metadata atkd.metrics) count the\n' +
    'rows outside the convergence radius sqrt(3)-1: soft_targets.outside_radius.',
  create(args, context, source = 'stdin') {
    const order = intFlag(args, 'order', context, 1, 1000);
    const classes = intFlag(args, 'classes', context, 2);
    return {
      operator: addSoftTargets({ order, classes, source }),
      emptySchema(input: Schema): Schema {
        const c = requireLogitsColumn(input, TEACHER_LOGITS, classes, source);
        requireFloat32Column(input, TEMPERATURE, source);
        const fields = input.fields.filter((f) => f.name !== SOFT_TARGETS);
        fields.push(new Field(SOFT_TARGETS, logitsType(c), false));
        return new Schema(fields, input.metadata);
      },
    };
  },
};
