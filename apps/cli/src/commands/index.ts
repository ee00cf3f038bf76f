import type { Command } from '../command.js';
import { stageCommand } from './stage.js';
import { distillCommand, trainCommand } from './run.js';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { modelsCommand } from './models.js';
import { reportCommand } from './report.js';
import { verifyCommand } from './verify.js';
import { serveCommand } from './serve.js';
import { feedCommand } from './feed.js';

/** The commands of `atkd`, by name. Add new commands here (one file each under src/commands/). */
export const COMMANDS: ReadonlyMap<string, Command> = new Map([
  [stageCommand.name, stageCommand],
  ...[dataCommand, trainCommand, distillCommand, evalCommand, modelsCommand, verifyCommand, reportCommand, serveCommand, feedCommand, exportCommand].map((c) => [c.name, c] as const),
]);
