/**
 * The manifest of an exported student (`atkd-model.json` next to `model.json`), and the pure pieces both
 * sides share: the check of a manifest, the input normalisation of RGBA pixels and the top-k of the
 * output. No Node and no DOM here: the browser bundle and Node import the same code, so a browser and
 * Node feed the model bit-identical inputs.
 */

export const WEB_MANIFEST = 'atkd-model.json';
export const WEB_MANIFEST_FORMAT = 'atkd-web-model/1';

/** How pixels become the model's input: `x[y, x, c] = (pixel[c] / scale - mean[c]) / std[c]`, NHWC. */
export interface InputSpec {
  /** Images are `size x size` (the page centre-crops and resizes any image to that). */
  size: number;
  /** Channel order of the input. */
  channels: 'RGB';
  layout: 'NHWC';
  /** Pixel values are divided by this first (255: to [0, 1]). */
  scale: number;
  /** The name of the normalisation (`cifar100`, `repdistiller` of @atkd/data), when it has one. */
  normalization?: string;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface WebManifest {
  format: typeof WEB_MANIFEST_FORMAT;
  /** The TF.js layers model next to this file. */
  model: string;
  architecture: { name: string; family: string | null; params: number | null; macs: number | null };
  /** Class names, in the order of the model's outputs. */
  classes: string[];
  input: InputSpec;
  /** Where the weights came from (run directory, checkpoint, its epoch and test accuracy), when known. */
  source: { run: string | null; checkpoint: string; epoch: number | null; step: number | null; testTop1: number | null; testTop5: number | null };
  exportedBy: string;
  exportedAt: string;
}

/** A manifest that does not hold what it must; the message names the file and the field. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

function isNumberTriple(v: unknown): v is [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Checks a parsed manifest (from `where`); returns it typed or throws a ManifestError naming the field. */
export function checkManifest(value: unknown, where: string): WebManifest {
  const fail = (field: string, what: string): never => {
    throw new ManifestError(`${where}: field '${field}' ${what}`);
  };
  if (value === null || typeof value !== 'object') throw new ManifestError(`${where}: not a JSON object`);
  const m = value as Record<string, unknown>;
  if (m.format !== WEB_MANIFEST_FORMAT) fail('format', `is ${JSON.stringify(m.format)}, expected ${JSON.stringify(WEB_MANIFEST_FORMAT)}`);
  if (typeof m.model !== 'string' || m.model === '') fail('model', 'must name the model.json file');
  const arch = m.architecture as Record<string, unknown> | undefined;
  if (arch === undefined || arch === null || typeof arch.name !== 'string') fail('architecture.name', 'must be a string');
  if (!Array.isArray(m.classes) || m.classes.length === 0 || !m.classes.every((c) => typeof c === 'string')) fail('classes', 'must be a non-empty list of strings');
  const input = m.input as Record<string, unknown> | undefined;
  if (input === undefined || input === null || typeof input !== 'object') fail('input', 'is missing');
  const inp = input as Record<string, unknown>;
  if (!Number.isInteger(inp.size) || (inp.size as number) < 1) fail('input.size', 'must be a positive integer');
  if (inp.channels !== 'RGB') fail('input.channels', `is ${JSON.stringify(inp.channels)}, only "RGB" is supported`);
  if (inp.layout !== 'NHWC') fail('input.layout', `is ${JSON.stringify(inp.layout)}, only "NHWC" is supported`);
  if (typeof inp.scale !== 'number' || !(inp.scale > 0)) fail('input.scale', 'must be a positive number');
  if (!isNumberTriple(inp.mean)) fail('input.mean', 'must be three numbers');
  if (!isNumberTriple(inp.std) || !(inp.std as number[]).every((s) => s > 0)) fail('input.std', 'must be three positive numbers');
  return value as WebManifest;
}

/**
 * RGBA pixels (`width * height * 4` bytes, row-major, as canvas ImageData holds them) of `count` images
 * of `input.size x input.size` to the model's NHWC float input. The arithmetic is the one of
 * `toNormalizedNHWC` in `@atkd/data` (`(v / 255 - mean) / std` in double, stored as float32), so the
 * same pixels give the same bits.
 */
export function normalizeRgba(rgba: ArrayLike<number>, input: InputSpec, out?: Float32Array): Float32Array {
  const P = input.size * input.size;
  if (rgba.length % (P * 4) !== 0) throw new RangeError(`normalizeRgba: ${rgba.length} bytes are not whole ${input.size}x${input.size} RGBA images (${P * 4} bytes each)`);
  const n = rgba.length / (P * 4);
  const result = out ?? new Float32Array(n * P * 3);
  if (result.length < n * P * 3) throw new RangeError(`normalizeRgba: out holds ${result.length} floats, needs ${n * P * 3}`);
  const { scale, mean, std } = input;
  const luts = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / scale - mean[c]) / std[c];
    return t;
  });
  for (let p = 0, d = 0; p < n * P; p++, d += 3) {
    result[d] = luts[0][rgba[p * 4]];
    result[d + 1] = luts[1][rgba[p * 4 + 1]];
    result[d + 2] = luts[2][rgba[p * 4 + 2]];
  }
  return result;
}

/** Softmax of one row of logits (max-subtracted, in double). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export interface Prediction {
  index: number;
  name: string;
  probability: number;
  logit: number;
}

/** The `k` most probable classes of one row of logits, best first (ties: lower index first). */
export function topK(logits: ArrayLike<number>, classes: readonly string[], k = 5): Prediction[] {
  if (logits.length !== classes.length) throw new RangeError(`topK: ${logits.length} logits, ${classes.length} class names`);
  const p = softmax(logits);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  return order.slice(0, Math.min(k, order.length)).map((i) => ({ index: i, name: classes[i], probability: p[i], logit: logits[i] }));
}
