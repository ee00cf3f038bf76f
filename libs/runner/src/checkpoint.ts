/**
 * Checkpoints of a run, in a directory `checkpoints/` with `latest/` and `best/`, each holding
 *
 *   model.json + weights.bin   the student (TF.js layers format)
 *   optimizer.bin              the momentum buffers, float32, in the order of the trainable weights
 *   state.json                 everything else a resume needs ({@link CheckpointState})
 *   epoch-temperatures.bin     the temperatures of the epoch in progress (mid-epoch checkpoints)
 *
 * A checkpoint is assembled under a temporary name, every file fsynced, and swapped in (the
 * directories fsynced too), so an interrupted write never leaves a half-written checkpoint;
 * {@link findCheckpoint} falls back to the previous one when a swap was cut short. state.json records
 * the CRC-32 of optimizer.bin and epoch-temperatures.bin (model.json that of weights.bin), checked by
 * {@link readCheckpoint}.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readJson as readJsonFile, syncPathSync, writeFileSyncedSync } from '@atkd/fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { crc32Hex, loadModel, saveModel } from '@atkd/models';
import type { EpochAccumulator } from './records.js';

export const CHECKPOINTS = 'checkpoints';
export const STATE_JSON = 'state.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
export const EPOCH_TEMPS_BIN = 'epoch-temperatures.bin';

/** A checkpoint that is missing, corrupt or does not match the run; the message names the path. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export type CheckpointName = 'latest' | 'best';

/** Everything but the weights that a checkpoint restores. */
export interface CheckpointState {
  format: 'atkd-checkpoint/1';
  /** Student architecture (checked on resume). */
  student: string;
  /** Where training continues: the epoch and the batch index within it. */
  next: { epoch: number; index: number };
  /** Steps done. */
  step: number;
  /**
   * The random state. Every random stream of a run is counter-based: the shuffle of epoch e is drawn from
   * (seed, e), the augmentation of batch i of epoch e from (seed, e, i); the initial weights from seed.
   * So (seed, next) is the whole random state.
   */
  rng: { seed: number; algorithm: string };
  /** Best test top-1 so far and its epoch. */
  best: { top1: number; epoch: number } | null;
  /** Accumulators of the epoch in progress (when the checkpoint is mid-epoch). */
  epochAcc: EpochAccumulator | null;
  /** Learnable temperature state (CTKD), if any. */
  strategyState: Record<string, number> | null;
  /** Teacher accuracy on the test data (measured once). */
  teacherEval: { top1: number; top5: number; loss: number; count: number } | null;
  /** Seconds of training so far (for throughput). */
  trainSeconds: number;
  /** Images trained so far. */
  trainImages: number;
  /**
   * Where the batch provider (a stream) stands, as it reported it (e.g. the JetStream sequence to
   * resume from); absent or null for the training file.
   */
  source?: Record<string, unknown> | null;
  /** Shapes of the momentum buffers in optimizer.bin, in the order of the model's trainable weights (null: no buffer yet). */
  optimizer: Array<number[] | null>;
  /** CRC-32 (8 hex digits) of the checkpoint's binary files by name (absent in checkpoints of older atkd). */
  checksums?: Record<string, string>;
}

export interface CheckpointContents {
  model: tf.LayersModel;
  /** Momentum buffers in the order of the model's trainable weights (undefined: none yet). */
  buffers: Array<tf.Tensor | undefined>;
  state: Omit<CheckpointState, 'optimizer' | 'format'>;
  /** Temperatures of the epoch in progress (for its histogram). */
  epochTemperatures?: Float32Array;
}

export function checkpointDir(runDir: string, name: CheckpointName): string {
  return join(runDir, CHECKPOINTS, name);
}

/** Writes checkpoint `name` of `runDir` atomically (assembled under a temporary name, then swapped in). */
export async function writeCheckpoint(runDir: string, name: CheckpointName, c: CheckpointContents): Promise<string> {
  const root = join(runDir, CHECKPOINTS);
  mkdirSync(root, { recursive: true });
  const final = join(root, name);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await saveModel(c.model, tmp);
    const shapes: Array<number[] | null> = [];
    const parts: Float32Array[] = [];
    for (const b of c.buffers) {
      if (b === undefined) shapes.push(null);
      else {
        shapes.push(b.shape.slice());
        parts.push(b.dataSync() as Float32Array);
      }
    }
    const total = parts.reduce((s, p) => s + p.length, 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (const p of parts) {
      flat.set(p, off);
      off += p.length;
    }
    const optimizer = new Uint8Array(flat.buffer);
    writeFileSyncedSync(join(tmp, OPTIMIZER_BIN), optimizer);
    const checksums: Record<string, string> = { [OPTIMIZER_BIN]: crc32Hex(optimizer) };
    if (c.epochTemperatures !== undefined) {
      const temps = new Uint8Array(c.epochTemperatures.buffer, c.epochTemperatures.byteOffset, c.epochTemperatures.byteLength);
      writeFileSyncedSync(join(tmp, EPOCH_TEMPS_BIN), temps);
      checksums[EPOCH_TEMPS_BIN] = crc32Hex(temps);
    }
    const state: CheckpointState = { format: 'atkd-checkpoint/1', ...c.state, optimizer: shapes, checksums };
    writeFileSyncedSync(join(tmp, STATE_JSON), `${JSON.stringify(state, null, 2)}\n`);
    syncPathSync(tmp);
    const old = join(root, `.${name}.old-${process.pid}`);
    if (existsSync(final)) renameSync(final, old);
    renameSync(tmp, final);
    syncPathSync(root);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return final;
}

/** The directory of checkpoint `name`, falling back to the previous one left by a swap cut short. */
export function findCheckpoint(runDir: string, name: CheckpointName): string | null {
  const root = join(runDir, CHECKPOINTS);
  const final = join(root, name);
  if (existsSync(join(final, STATE_JSON))) return final;
  if (!existsSync(root)) return null;
  const old = readdirSync(root).filter((f) => f.startsWith(`.${name}.old-`));
  for (const o of old) if (existsSync(join(root, o, STATE_JSON))) return join(root, o);
  return null;
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  /** Weights by position in `model.weights` order of the saved model. */
  model: tf.LayersModel;
  buffers: Array<Float32Array | null>;
  epochTemperatures: Float32Array | null;
}

function verifyChecksum(dir: string, state: CheckpointState, file: string, bytes: Uint8Array): void {
  const recorded = state.checksums?.[file];
  if (recorded === undefined) return;
  const got = crc32Hex(bytes);
  if (got !== recorded) throw new CheckpointError(`checkpoint ${dir}: ${file} is corrupted: its CRC-32 is ${got}, state.json recorded ${recorded} when it was written`);
}

/**
 * Reads a checkpoint directory; errors name the file. The weights' and the optimizer state's
 * checksums are checked (a flipped byte is an error). The caller disposes `model`.
 */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const state = readJsonFile<CheckpointState>(join(dir, STATE_JSON), 'checkpoint state', (m) => new CheckpointError(m));
  if (state.format !== 'atkd-checkpoint/1') throw new CheckpointError(`${join(dir, STATE_JSON)}: format ${JSON.stringify(state.format)} is not atkd-checkpoint/1`);
  const binPath = join(dir, OPTIMIZER_BIN);
  if (!existsSync(binPath)) throw new CheckpointError(`checkpoint ${dir}: ${OPTIMIZER_BIN} is missing`);
  const bytes = readFileSync(binPath);
  verifyChecksum(dir, state, OPTIMIZER_BIN, bytes);
  const tPath = join(dir, EPOCH_TEMPS_BIN);
  const temps = existsSync(tPath) ? readFileSync(tPath) : null;
  if (temps !== null) verifyChecksum(dir, state, EPOCH_TEMPS_BIN, temps);
  let model: tf.LayersModel;
  try {
    model = await loadModel(dir);
  } catch (error) {
    throw new CheckpointError(`checkpoint ${dir}: ${(error as Error).message}`);
  }
  const expected = state.optimizer.reduce((s, shape) => s + (shape === null ? 0 : shape.reduce((a, b) => a * b, 1)), 0);
  if (bytes.length !== expected * 4) {
    model.dispose();
    throw new CheckpointError(`checkpoint ${dir}: ${OPTIMIZER_BIN} holds ${bytes.length} bytes, the state lists ${expected} float32 values`);
  }
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const buffers: Array<Float32Array | null> = [];
  let off = 0;
  for (const shape of state.optimizer) {
    if (shape === null) buffers.push(null);
    else {
      const n = shape.reduce((a, b) => a * b, 1);
      buffers.push(flat.subarray(off, off + n));
      off += n;
    }
  }
  const epochTemperatures = temps === null ? null : new Float32Array(temps.buffer.slice(temps.byteOffset, temps.byteOffset + temps.length));
  return { dir, state, model, buffers, epochTemperatures };
}

/**
 * Copies the weights of `source` into `target` (same architecture), checking every weight's shape.
 * Errors name the checkpoint and the weight.
 */
export function copyWeights(source: tf.LayersModel, target: tf.LayersModel, what: string): void {
  const src = source.weights;
  const dst = target.weights;
  if (src.length !== dst.length) throw new CheckpointError(`${what} has ${src.length} weight tensors, the model has ${dst.length}: the checkpoint does not match the architecture`);
  for (let i = 0; i < dst.length; i++) {
    const a = src[i].shape.join('x');
    const b = dst[i].shape.join('x');
    if (a !== b) throw new CheckpointError(`${what}: weight ${i} (${dst[i].originalName}) has shape [${a}] in the checkpoint, [${b}] in the model: the checkpoint does not match the architecture`);
  }
  target.setWeights(src.map((w) => w.read()));
}
