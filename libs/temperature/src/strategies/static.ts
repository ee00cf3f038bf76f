import { resolveOptions } from '../options.js';
import { rowsOf, toTemperatures, type Logits, type StrategyDefinition, type TemperatureStrategy } from '../strategy.js';

const OPTIONS = {
  temperature: { type: 'number', default: 4, above: 0, description: 'the fixed temperature T (Hinton et al. 2015; 4 is the usual CIFAR-100 choice)' },
} as const;

/** The same temperature T for every row: `rows` copies of T (float32). */
export function staticTemperatures(rows: number, temperature: number): Float32Array {
  return toTemperatures('static', new Float64Array(rows).fill(temperature));
}

/** `static`: vanilla KD with one fixed temperature (default 4), on the raw logits. */
export const staticStrategy: StrategyDefinition = {
  name: 'static',
  description: 'Hinton KD: one fixed temperature for every sample (default T = 4), raw logits',
  needsStudent: false,
  standardizes: false,
  learnable: false,
  options: OPTIONS,
  create(input = {}): TemperatureStrategy {
    const options = resolveOptions('static', OPTIONS, input);
    return {
      name: 'static',
      needsStudent: false,
      standardizes: false,
      eps: 1e-7,
      options,
      compute(teacher: Logits, classes: number): Float32Array {
        return staticTemperatures(rowsOf('teacher', teacher, classes), options.temperature);
      },
    };
  },
};
