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

/**
 * Bad metadata a stage reads (the temperature stage's schema metadata, a batch's position or metrics):
 * `scope` says where (`schema` or `record-batch`), `key` which key, `value` what it held. The message
 * reads `schema metadata "atkd.temperature.standardize" must be "true" or "false", got "yes"`.
 */
export class MetadataError extends RangeError {
  constructor(
    readonly scope: 'schema' | 'record-batch',
    readonly key: string,
    readonly value: string | undefined,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${scope} metadata "${key}" ${problem}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetadataError';
  }
}
