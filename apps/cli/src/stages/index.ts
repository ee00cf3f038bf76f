import { softTargetsStage } from './soft-targets.js';
import type { StageDefinition } from './stage.js';
import { teacherStage } from './teacher.js';
import { temperatureStage } from './temperature.js';

export type { StageDefinition, StageRun } from './stage.js';

/**
 * The stages of `atkd stage <name>` (and `atkd serve <name>`), in pipeline order; each one's flags are
 * parsed here in the CLI (`../args.ts`), the libs export only the operators.
 */
const STAGES = new Map<string, StageDefinition>([
  [teacherStage.name, teacherStage],
  [temperatureStage.name, temperatureStage],
  [softTargetsStage.name, softTargetsStage],
]);

/** Adds a stage (refuses a taken name). */
export function registerStage(stage: StageDefinition): void {
  if (STAGES.has(stage.name)) throw new RangeError(`a stage named "${stage.name}" is already registered`);
  STAGES.set(stage.name, stage);
}

export function getStage(name: string): StageDefinition | undefined {
  return STAGES.get(name);
}

export function stages(): StageDefinition[] {
  return [...STAGES.values()];
}
