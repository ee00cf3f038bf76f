import type { RecordBatch, Schema } from 'apache-arrow';
import type { OperatorFunction } from 'rxjs';
import type { FlagSpec, ParsedArgs } from '../args.js';

/** What a stage filter runs: its operator, and the output schema of an input with no batch. */
export interface StageRun {
  operator: OperatorFunction<RecordBatch, RecordBatch>;
  emptySchema?: (input: Schema) => Schema;
  /** Called once the stream is done (e.g. to release a model); optional. */
  close?: () => Promise<void> | void;
}

/**
 * A stage of `atkd stage <name>`: its own flags (beyond the common --input/--output/--help) and how
 * to build its operator from the parsed flags. Flag errors are `UsageError`s naming the flag.
 */
export interface StageDefinition {
  name: string;
  /** One line for `atkd stage --help`. */
  summary: string;
  /** Usage line(s) after `atkd stage <name>`. */
  usage: string;
  flags: Readonly<Record<string, FlagSpec>>;
  /** Extra help text (e.g. the strategies). */
  details?: () => string;
  /** `source` names the input in errors: `stdin`, or the --input file. */
  create(args: ParsedArgs, context: string, source?: string): Promise<StageRun> | StageRun;
}
