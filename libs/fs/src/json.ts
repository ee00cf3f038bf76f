import { existsSync, readFileSync } from 'node:fs';

/** A JSON file that is missing or not valid JSON; the message names the file. */
export class JsonFileError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'JsonFileError';
  }
}

/**
 * Reads and parses the JSON file `path`; `what` names it in errors (`checkpoint state`, `run config`).
 * Errors are made by `makeError` (default a {@link JsonFileError}) so each caller keeps its own error class.
 */
export function readJson<T>(path: string, what: string, makeError: (message: string) => Error = (m) => new JsonFileError(path, m)): T {
  if (!existsSync(path)) throw makeError(`${what} ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw makeError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
