import { Field, Schema } from 'apache-arrow';
import { requireLogitsColumn, TEACHER_LOGITS, TEMPERATURE, STUDENT_TEMPERATURE, temperatureType } from '@atkd/columns';
import { OptionError, getStrategy, getStrategyDefinition, listStrategies, addTemperature } from '@atkd/temperature';
import { formatFlags, intFlag, kebab, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { StageDefinition } from './stage.js';

/** Flags of every strategy option (kebab-case), merged; checked against the chosen strategy. */
function optionFlags(): Record<string, FlagSpec & { option: string; strategies: string[] }> {
  const out: Record<string, FlagSpec & { option: string; strategies: string[] }> = {};
  for (const s of listStrategies()) {
    for (const [key, spec] of Object.entries(s.options)) {
      const flag = kebab(key);
      out[flag] ??= { option: key, strategies: [], description: `strategy option "${key}"`, placeholder: spec.type === 'boolean' ? 'true|false' : 'X' };
      out[flag].strategies.push(s.name);
    }
  }
  return out;
}

const OPTION_FLAGS = optionFlags();

export const temperatureStage: StageDefinition = {
  name: 'temperature',
  summary: 'add the per-sample `temperature` column (reads teacher_logits; strategy by --strategy)',
  usage: 'temperature --strategy NAME [--classes N] [strategy options] < in.arrows > out.arrows',
  flags: {
    strategy: { description: 'temperature strategy (see below); default adaptive', placeholder: 'NAME' },
    classes: { description: 'expected classes per row (checked against teacher_logits)', placeholder: 'N' },
    ...Object.fromEntries(Object.entries(OPTION_FLAGS).map(([k, v]) => [k, { description: `${v.description} (${v.strategies.join(', ')})`, placeholder: v.placeholder }])),
  },
  details() {
    const lines = ['Strategies:'];
    for (const s of listStrategies()) {
      lines.push(`  ${s.name}${s.needsStudent ? ' [needs student: provisional here, the student stage finishes it]' : ''}${s.learnable ? ' [learnable: updated by the student stage]' : ''}`);
      lines.push(`      ${s.description}`);
      const specs = Object.fromEntries(Object.entries(s.options).map(([k, o]) => [kebab(k), { description: `${o.description} (default ${String(o.default)})`, placeholder: o.type === 'boolean' ? 'true|false' : 'X' }]));
      if (Object.keys(specs).length > 0) lines.push(formatFlags(specs).replace(/^/gm, '    '));
    }
    return lines.join('\n');
  },
  create(args, context, source = 'stdin') {
    const name = stringFlag(args, 'strategy') ?? 'adaptive';
    let def;
    try {
      def = getStrategyDefinition(name);
    } catch (e) {
      throw new UsageError(`${context}: flag --strategy: ${(e as Error).message}`);
    }
    const options: Record<string, string> = {};
    for (const [flag, value] of args.flags) {
      const opt = OPTION_FLAGS[flag];
      if (opt === undefined) continue;
      if (!(opt.option in def.options)) {
        const own = Object.keys(def.options).map((k) => `--${kebab(k)}`);
        throw new UsageError(`${context}: flag --${flag} is not an option of strategy "${name}" (its options: ${own.length === 0 ? 'none' : own.join(', ')})`);
      }
      options[opt.option] = String(value);
    }
    const classes = intFlag(args, 'classes', context, 2);
    let strategy;
    try {
      strategy = getStrategy(name, options);
    } catch (e) {
      // name the flag of the option: `strategy "static": option "temperature" ...` -> --temperature
      throw new UsageError(`${context}: ${e instanceof OptionError ? `flag --${kebab(e.option)}: ` : ''}${(e as Error).message}`);
    }
    return {
      operator: addTemperature(strategy, { classes, source }),
      emptySchema(input: Schema): Schema {
        requireLogitsColumn(input, TEACHER_LOGITS, classes, source);
        const fields = input.fields.filter((f) => f.name !== TEMPERATURE && f.name !== STUDENT_TEMPERATURE);
        fields.push(new Field(TEMPERATURE, temperatureType(), false));
        if (strategy.computeStudent !== undefined) fields.push(new Field(STUDENT_TEMPERATURE, temperatureType(), false));
        return new Schema(fields, input.metadata);
      },
    };
  },
};
