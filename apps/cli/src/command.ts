import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes (process streams in `main`, pipes in tests). */
export interface CommandIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
}

/** A top-level command of `atkd` (`atkd <name> ...`). */
export interface Command {
  name: string;
  /** One line for `atkd --help`. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
