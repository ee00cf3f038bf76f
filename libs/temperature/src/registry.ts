import type { OptionSpecs } from './options.js';
import { adaptiveTeacherStrategy } from './strategies/adaptive-teacher.js';
import { adaptivePairedStrategy, adaptiveStrategy } from './strategies/adaptive.js';
import { ctkdStrategy } from './strategies/ctkd.js';
import { dtkdStrategy } from './strategies/dtkd.js';
import { logitStandardizationStrategy } from './strategies/logit-standardization.js';
import { staticStrategy } from './strategies/static.js';
import type { StrategyDefinition, TemperatureStrategy } from './strategy.js';

const REGISTRY = new Map<string, StrategyDefinition>(
  [staticStrategy, logitStandardizationStrategy, adaptiveStrategy, adaptivePairedStrategy, adaptiveTeacherStrategy, ctkdStrategy, dtkdStrategy].map((d) => [d.name, d]),
);

/** The names of every registered strategy, in registration order. */
export function strategyNames(): string[] {
  return [...REGISTRY.keys()];
}

/** A summary of every registered strategy (name, description, flags, options with defaults). */
export function listStrategies(): Array<{ name: string; description: string; needsStudent: boolean; standardizes: boolean; learnable: boolean; options: OptionSpecs }> {
  return [...REGISTRY.values()].map(({ name, description, needsStudent, standardizes, learnable, options }) => ({ name, description, needsStudent, standardizes, learnable, options }));
}

/** The definition of strategy `name`, or an error listing the known names. */
export function getStrategyDefinition(name: string): StrategyDefinition {
  const def = REGISTRY.get(name);
  if (def === undefined) throw new RangeError(`unknown temperature strategy "${name}" (known: ${strategyNames().join(', ')})`);
  return def;
}

/**
 * A new instance of strategy `name` with `options` (numbers, booleans, or strings from a command
 * line; unknown or out-of-range options are errors naming the option). Learnable strategies keep
 * their state in the instance.
 */
export function getStrategy(name: string, options: Readonly<Record<string, unknown>> = {}): TemperatureStrategy {
  return getStrategyDefinition(name).create(options);
}

/** Adds a strategy to the registry (for strategies defined outside this lib). Refuses a taken name. */
export function registerStrategy(definition: StrategyDefinition): void {
  if (REGISTRY.has(definition.name)) throw new RangeError(`a temperature strategy named "${definition.name}" is already registered`);
  REGISTRY.set(definition.name, definition);
}
