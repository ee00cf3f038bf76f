/** Error raised for a checkpoint that cannot be read; the message always starts with the file name. */
export class TorchCheckpointError extends Error {
  /** The file (or the `file` label given for in-memory bytes) that could not be read. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'TorchCheckpointError';
    this.file = file;
  }
}
