import type { OptionSpecs } from '@atkd/temperature';
import { dkdLossDefinition } from './dkd.js';
import { kdLossDefinition } from './kd.js';
import { mlkdLossDefinition } from './mlkd.js';
import type { DistillationLoss, LossDefinition } from './types.js';

const REGISTRY = new Map<string, LossDefinition>([kdLossDefinition, dkdLossDefinition, mlkdLossDefinition].map((d) => [d.name, d]));

/** The names of every registered distillation loss, in registration order (`kd`, `dkd`, `mlkd`). */
export function lossNames(): string[] {
  return [...REGISTRY.keys()];
}

/** A summary of every registered loss (name, description, whether it needs the strong view, options with defaults). */
export function listLosses(): Array<{ name: string; description: string; needsStrongView: boolean; options: OptionSpecs }> {
  return [...REGISTRY.values()].map(({ name, description, needsStrongView, options }) => ({ name, description, needsStrongView, options }));
}

/** The definition of loss `name`, or a RangeError listing the known names. */
export function getLossDefinition(name: string): LossDefinition {
  const def = REGISTRY.get(name);
  if (def === undefined) throw new RangeError(`unknown distillation loss "${name}" (known: ${lossNames().join(', ')})`);
  return def;
}

/** A new instance of loss `name` with `options` (numbers, booleans or command-line strings; errors name the option). */
export function getLoss(name: string, options: Readonly<Record<string, unknown>> = {}): DistillationLoss {
  return getLossDefinition(name).create(options);
}

/** Adds a loss to the registry (for losses defined outside this lib). Refuses a taken name. */
export function registerLoss(definition: LossDefinition): void {
  if (REGISTRY.has(definition.name)) throw new RangeError(`a distillation loss named "${definition.name}" is already registered`);
  REGISTRY.set(definition.name, definition);
}
