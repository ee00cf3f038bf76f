/**
 * Entry of the browser bundle `atkd-web.js` (an IIFE, global `atkd`): TF.js with its WebGL, WebAssembly
 * and CPU backends, atkd's custom layers (registered, so ShuffleNet / grouped-convolution students load),
 * and a classifier over an exported student directory. Everything it loads comes from the directory the
 * page is served from (model, manifest, the .wasm files): no CDN, no network.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ChannelShuffle, ChannelSlice, GroupConv2D } from '@atkd/models/layers';
import { WEB_MANIFEST, checkManifest, normalizeRgba, topK, type Prediction, type WebManifest } from '../manifest.js';

export { tf, checkManifest, normalizeRgba, topK, WEB_MANIFEST };
export type { Prediction, WebManifest };
/** The custom layers (already registered with tf.serialization). */
export const layers = { ChannelShuffle, ChannelSlice, GroupConv2D };

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

/**
 * Selects a TF.js backend: `wanted`, or the first of webgl, wasm, cpu that initialises. The wasm binaries
 * are loaded from `base` (the export directory). Resolves to the backend in use.
 */
export async function useBackend(base: string, wanted?: BackendName): Promise<BackendName> {
  setWasmPaths(new URL('./', base).href);
  const order = wanted ? [wanted] : BACKENDS;
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // not available in this browser: try the next one
    }
  }
  throw new Error(wanted ? `backend ${wanted} is not available in this browser` : 'no TF.js backend initialises in this browser');
}

export interface Classification {
  logits: Float32Array;
  top: Prediction[];
  /** Milliseconds of the forward pass for this image (predict + reading the logits back). */
  ms: number;
}

export interface Classifier {
  manifest: WebManifest;
  model: tf.LayersModel;
  backend: BackendName;
  /** Classifies `input.size x input.size` RGBA images (one or more, concatenated), one by one. */
  classify(rgba: Uint8Array | Uint8ClampedArray, k?: number): Classification[];
  dispose(): void;
}

async function fetchJson(url: string): Promise<unknown> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  try {
    return await r.json();
  } catch (e) {
    throw new Error(`${url}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Loads the exported student at `base` (a URL of its directory, ending in '/'): manifest, then model. */
export async function loadClassifier(base: string, options: { backend?: BackendName } = {}): Promise<Classifier> {
  const manifestUrl = new URL(WEB_MANIFEST, base).href;
  const manifest = checkManifest(await fetchJson(manifestUrl), manifestUrl);
  const backend = await useBackend(base, options.backend);
  const model = await tf.loadLayersModel(new URL(manifest.model, base).href);
  const out = model.outputs[0].shape;
  if (out[out.length - 1] !== manifest.classes.length) {
    model.dispose();
    throw new Error(`${manifestUrl}: ${manifest.classes.length} class names, the model has ${String(out[out.length - 1])} outputs`);
  }
  const { size } = manifest.input;
  const perImage = size * size * 4;
  // one warm-up pass: the first call compiles shaders / kernels and would dominate the first timing
  tf.tidy(() => void (model.predict(tf.zeros([1, size, size, 3])) as tf.Tensor).dataSync());
  return {
    manifest,
    model,
    backend,
    classify(rgba, k = 5) {
      if (rgba.length === 0 || rgba.length % perImage !== 0) throw new RangeError(`classify: ${rgba.length} bytes are not whole ${size}x${size} RGBA images`);
      const results: Classification[] = [];
      for (let i = 0; i < rgba.length / perImage; i++) {
        const x = normalizeRgba(rgba.subarray(i * perImage, (i + 1) * perImage), manifest.input);
        const t0 = performance.now();
        // the tensor out of the tidy, read after (tf.tidy walks a returned typed array index by index)
        const y = tf.tidy(() => model.predict(tf.tensor4d(x, [1, size, size, 3])) as tf.Tensor);
        const logits = y.dataSync() as Float32Array;
        y.dispose();
        const ms = performance.now() - t0;
        results.push({ logits, top: topK(logits, manifest.classes, k), ms });
      }
      return results;
    },
    dispose() {
      model.dispose();
    },
  };
}
