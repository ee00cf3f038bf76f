// TF.js layers-format save / load for Node without tfjs-node: a file-system IOHandler writing
// `model.json` (topology + weights manifest) and `weights.bin`, the same files
// `tf.loadLayersModel('https://.../model.json')` reads in a browser. Writes are atomic (`writeFileAtomic`
// of @atkd/fs: temp file in the same directory, fsync, rename; weights first, model.json last), so an interrupted save
// never leaves a model.json that points at missing or partial weights; each file is fsynced before
// its rename. model.json records the CRC-32 of weights.bin (key `atkdWeightsCrc32`, ignored by TF.js),
// checked on load, so flipped bytes in the weights are an error instead of a silently wrong model.
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@atkd/fs';
import { crc32 } from 'node:zlib';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './layers.js'; // registers the custom layers so their models deserialize

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** The model.json key holding the CRC-32 (8 hex digits) of the weights, in manifest order. */
export const WEIGHTS_CRC32 = 'atkdWeightsCrc32';

/** CRC-32 (zlib's) of `bytes` as 8 hex digits. */
export function crc32Hex(bytes: Uint8Array, previous?: number): string {
  return (crc32(bytes, previous) >>> 0).toString(16).padStart(8, '0');
}

/**
 * An IOHandler that saves to / loads from directory `dir` (model.json + weights.bin). Loading checks
 * the weights' CRC-32 recorded in model.json (when there is one) unless `verify` is false.
 */
export function fileSystemHandler(dir: string, options: { verify?: boolean } = {}): tf.io.IOHandler {
  const verify = options.verify ?? true;
  const root = resolve(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(`${root}: saving a binary (graph-model) topology is not supported; only layers models`);
      }
      await mkdir(root, { recursive: true });
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }];
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? '@atkd/models saveModel',
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      const weightBytes = new Uint8Array(weightData);
      (modelJSON as unknown as Record<string, unknown>)[WEIGHTS_CRC32] = crc32Hex(weightBytes);
      await writeFileAtomic(join(root, WEIGHTS_BIN), weightBytes);
      await writeFileAtomic(join(root, MODEL_JSON), JSON.stringify(modelJSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(root, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(jsonPath, 'utf8');
      } catch (e) {
        throw new Error(`${jsonPath}: cannot read the model: ${(e as Error).message}`, { cause: e });
      }
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`${jsonPath}: not valid JSON: ${(e as Error).message}`, { cause: e });
      }
      if (modelJSON === null || typeof modelJSON !== 'object' || modelJSON.modelTopology === undefined) {
        throw new Error(`${jsonPath}: field 'modelTopology' is missing; not a TF.js layers model.json`);
      }
      if (!Array.isArray(modelJSON.weightsManifest)) {
        throw new Error(`${jsonPath}: field 'weightsManifest' is missing or not an array`);
      }
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        let crc: number | undefined;
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = join(root, p);
            let bytes: Buffer;
            try {
              bytes = await readFile(file);
            } catch (e) {
              throw new Error(`${jsonPath}: weights file '${p}' cannot be read: ${(e as Error).message}`, { cause: e });
            }
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
            crc = crc32(bytes, crc);
          }
        }
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const need = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * bytesPer(w.dtype), 0);
        if (data.byteLength !== need) {
          throw new Error(`${jsonPath}: weights hold ${data.byteLength} bytes, the manifest needs ${need}`);
        }
        const recorded = (modelJSON as unknown as Record<string, unknown>)[WEIGHTS_CRC32];
        if (typeof recorded === 'string' && verify) {
          const got = ((crc ?? 0) >>> 0).toString(16).padStart(8, '0');
          if (got !== recorded) {
            throw new Error(`${jsonPath}: the weights are corrupted: their CRC-32 is ${got}, model.json recorded ${recorded} when they were written`);
          }
        }
        return [specs, data];
      });
    },
  };
}

function bytesPer(dtype: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`unsupported weight dtype ${dtype}`);
}

/** Save a layers model as `dir/model.json` + `dir/weights.bin` (directory created if needed). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(fileSystemHandler(dir));
}

/** Load a layers model saved by saveModel (or any single-shard TF.js layers model directory); `verify: false` skips the checksum. */
export async function loadModel(dir: string, options: { verify?: boolean } = {}): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemHandler(dir, options));
}
