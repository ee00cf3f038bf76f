/** Opening the data files a command names, with errors that name the file and say how to make one. */
import { CifarArrowFile, CifarDataError } from '@atkd/data';
import { existsSync } from 'node:fs';

/** A data file problem (missing, corrupt); the message names the file. */
export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

/** Opens an `@atkd/data` Arrow file; errors name the file and say how to make one. */
export async function openDataFile(path: string, role: string): Promise<CifarArrowFile> {
  if (!existsSync(path)) throw new DataFileError(`${role} ${path} does not exist (make one with \`atkd data import --from <cifar-100-binary>\`, or use the embedded sample)`);
  try {
    return await CifarArrowFile.open(path);
  } catch (error) {
    const msg = error instanceof CifarDataError ? error.message : `${path}: ${(error as Error).message}`;
    throw new DataFileError(`${role} ${path} is not a CIFAR-100 Arrow file of @atkd/data: ${msg}`);
  }
}
