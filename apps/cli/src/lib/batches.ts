/**
 * Resumable batches of a CIFAR-100 Arrow file. The same plan as `cifarBatches` of `@atkd/data`
 * (per-epoch Fisher-Yates order from (seed, epoch), augmentation from (seed, epoch, batch index), built
 * from that lib's exported pieces), but able to start at any (epoch, batch index): a resumed run sees
 * exactly the batches an uninterrupted one would, without reading the ones before.
 */
import { CifarArrowFile, CifarDataError, IMAGE_BYTES, augmentBatch, epochPermutation, type CifarBatch } from '@atkd/data';
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

export interface PlanOptions {
  batchSize: number;
  shuffle: boolean;
  augment: boolean;
  seed: number;
  /** Cap on the batches of an epoch. */
  limit?: number | null;
  /** Cap on the rows of the file used (evaluation limit). */
  rows?: number | null;
}

/** Batches in one epoch. */
export function batchesPerEpoch(numRows: number, o: PlanOptions): number {
  const n = Math.min(numRows, o.rows ?? numRows);
  const all = Math.ceil(n / o.batchSize);
  return o.limit != null ? Math.min(all, o.limit) : all;
}

/** Reads batch `index` of epoch `epoch` (synchronous positioned reads). */
export function readBatch(f: CifarArrowFile, o: PlanOptions, epoch: number, index: number, step: number, order?: Uint32Array): CifarBatch {
  const n = Math.min(f.numRows, o.rows ?? f.numRows);
  const seed = o.seed >>> 0;
  let perm = order;
  if (perm === undefined) {
    if (o.shuffle) perm = epochPermutation(n, seed, epoch);
    else {
      perm = new Uint32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
    }
  }
  const rows = perm.subarray(index * o.batchSize, Math.min(n, (index + 1) * o.batchSize));
  const size = rows.length;
  const images = new Uint8Array(size * IMAGE_BYTES);
  f.readImagesSync(rows, images);
  const fine = new Uint8Array(size);
  const coarse = new Uint8Array(size);
  const indices = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    const r = rows[i];
    fine[i] = f.fine[r];
    coarse[i] = f.coarse[r];
    indices[i] = f.indices[r];
  }
  if (o.augment) augmentBatch(images, size, [seed, epoch, index]);
  return {
    epoch,
    index,
    step,
    size,
    images,
    fine,
    coarse,
    indices,
    rows: Uint32Array.from(rows),
    meta: f.meta,
    schema: f.schema,
    hold: () => () => undefined,
  };
}

/** The row order of an epoch (shuffled from (seed, epoch), else file order). */
export function epochOrder(f: CifarArrowFile, o: PlanOptions, epoch: number): Uint32Array {
  const n = Math.min(f.numRows, o.rows ?? f.numRows);
  if (o.shuffle) return epochPermutation(n, o.seed >>> 0, epoch);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  return perm;
}
