/**
 * The one error type of `@atkd/data`: every failure names the file it is about and, where it is about
 * one record, the record's 0-based index in that file.
 */
export class CifarDataError extends Error {
  /** The file (path or archive member) the error is about. */
  readonly file: string;
  /** The 0-based record index inside `file`, when the error is about one record. */
  readonly record: number | undefined;

  constructor(file: string, message: string, options: { record?: number; cause?: unknown } = {}) {
    const where = options.record === undefined ? file : `${file}, record ${options.record}`;
    super(`${where}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CifarDataError';
    this.file = file;
    this.record = options.record;
  }
}
