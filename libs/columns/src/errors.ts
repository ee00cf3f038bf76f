/**
 * The error of the column contract: a column is missing, has the wrong type or holds bad values.
 * The message always names the column (and, where given, where the data came from: `stdin`, a file).
 */
export class ColumnError extends Error {
  /** The column the error is about. */
  readonly column: string;

  constructor(column: string, message: string, options: { source?: string; cause?: unknown } = {}) {
    const where = options.source === undefined ? '' : `${options.source}: `;
    super(`${where}column "${column}" ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ColumnError';
    this.column = column;
  }
}

/** Bad Arrow IPC input or output (not an Arrow stream, empty, schema changes mid-stream). Names the source. */
export class IpcError extends Error {
  /** Where the bytes came from or went to (`stdin`, `stdout`, a file path). */
  readonly source: string;

  constructor(source: string, message: string, options: { cause?: unknown } = {}) {
    super(`${source}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IpcError';
    this.source = source;
  }
}
