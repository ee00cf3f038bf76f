// Loads the Node-API addon (build/Release/atkd_torch.node). When it was not built (no libtorch on
// this machine) or cannot be loaded, `loadNative()` returns null and `torchUnavailable()` says why.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dtype codes shared with native/addon.cc. */
export const DTYPE_CODE = { float32: 0, int32: 1, bool: 2 } as const;
export type NativeDtype = keyof typeof DTYPE_CODE;

/** A tensor id in the addon's table (> 0); 0 stands for "no tensor" in optional arguments. */
export type Nid = number;

/** The addon's functions (see native/addon.cc). Every one throws a JavaScript Error on bad input. */
export interface TorchNative {
  fromData(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number): Nid;
  read(id: Nid): Float32Array | Int32Array | Uint8Array;
  dispose(id: Nid): boolean;
  count(): number;
  shape(id: Nid): number[];
  /** Shared with the addon: slot id % 64 (8 doubles) holds [id, rank, ...dims] of each new tensor (rank -1: ask shape()). */
  shapeBuffer(): Float64Array;
  dtype(id: Nid): number;
  setThreads(n: number): number;
  threads(): number;
  /** How the process's heap keeps tensor memory (glibc malloc thresholds; ATKD_TORCH_MALLOPT=0 keeps glibc's defaults). */
  heapPolicy(): string;
  version(): string;
  setDevice(device: string): string;
  fill(shape: number[], value: number, dtype: number): Nid;
  unary(op: string, x: Nid, a?: number, b?: number): Nid;
  binary(op: string, a: Nid, b: Nid): Nid;
  addN(ids: Nid[]): Nid;
  reduce(op: string, x: Nid, axes: number[], keepDims: boolean): Nid;
  argReduce(op: 'ArgMax' | 'ArgMin', x: Nid, axis: number): Nid;
  cumulative(op: 'Cumsum' | 'Cumprod', x: Nid, axis: number, exclusive: boolean, reverse: boolean): Nid;
  cast(x: Nid, dtype: number): Nid;
  reshape(x: Nid, shape: number[]): Nid;
  transpose(x: Nid, perm: number[]): Nid;
  slice(x: Nid, begin: number[], size: number[]): Nid;
  stridedSlice(x: Nid, begin: number[], end: number[], strides: number[], outShape: number[]): Nid;
  concat(ids: Nid[], axis: number): Nid;
  pad(x: Nid, paddings: number[], value: number): Nid;
  gather(x: Nid, indices: Nid, axis: number): Nid;
  oneHot(indices: Nid, depth: number, on: number, off: number, dtype: number): Nid;
  tile(x: Nid, reps: number[]): Nid;
  select(cond: Nid, a: Nid, b: Nid): Nid;
  split(x: Nid, sizes: number[], axis: number): Nid[];
  reverse(x: Nid, dims: number[]): Nid;
  topk(x: Nid, k: number): [Nid, Nid];
  conv2d(x: Nid, filter: Nid, bias: Nid, p: number[], depthwise: boolean, activation?: string, alpha?: number, prelu?: Nid): Nid;
  conv2dBackpropInput(dy: Nid, filter: Nid, inShape: number[], p: number[], depthwise: boolean): Nid;
  conv2dBackpropFilter(x: Nid, dy: Nid, filterShape: number[], p: number[], depthwise: boolean): Nid;
  pool(kind: 'max' | 'avg', x: Nid, p: number[]): Nid;
  poolGrad(kind: 'max' | 'avg', dy: Nid, x: Nid, p: number[]): Nid;
  batchNorm(x: Nid, mean: Nid, variance: Nid, offset: Nid, scale: Nid, eps: number): Nid;
  batchNormGrad(dy: Nid, x: Nid, mean: Nid, variance: Nid, scale: Nid, eps: number): [Nid, Nid, Nid, Nid, Nid];
  /** Train-mode batch norm over all axes but the last: [y, batch mean, batch variance (biased)]. */
  batchNormTrain(x: Nid, scale: Nid, offset: Nid, eps: number): [Nid, Nid, Nid];
  /** Its gradient: [dx, dscale, doffset]; dmean/dvariance (0: none) are the gradients reaching the statistics. */
  batchNormTrainGrad(dy: Nid, x: Nid, scale: Nid, mean: Nid, variance: Nid, eps: number, dmean: Nid, dvariance: Nid): [Nid, Nid, Nid];
  matMul(a: Nid, b: Nid, transposeA: boolean, transposeB: boolean, bias: Nid, activation?: string, alpha?: number, prelu?: Nid): Nid;
  softmax(x: Nid, dim: number): Nid;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The addon; ATKD_TORCH_ADDON overrides where it is (for a bundle of this package, e.g. the tfjs-core suite). */
const addonPath = process.env['ATKD_TORCH_ADDON'] ?? join(packageRoot, 'build', 'Release', 'atkd_torch.node');

let loaded: { native: TorchNative | null; reason: string | null } | null = null;

/**
 * OpenMP's wait policy for ATen's intra-op threads when the user has set neither OMP_WAIT_POLICY
 * nor GOMP_SPINCOUNT: a short spin, GOMP_SPINCOUNT=10000, after which an idle thread sleeps.
 * - GOMP's own default spins up to 300,000 iterations after every parallel region. A TF.js step
 *   issues ~500 kernels, and on a machine shared with other processes the spinning threads took the
 *   cores the work needed (a 2-thread resnet8 step at batch 2 ran 4.2 s against 0.34 s at 1 thread,
 *   session 3).
 * - OMP_WAIT_POLICY=PASSIVE (sleep at once, session 4's default) pays a wake-up per parallel
 *   region: on an idle machine at 2 threads it cost 10-25% of a step (resnet20 train 0.76x PyTorch
 *   against 0.82x with the short spin, MobileNetV2 0.74x against 1.08x, one run each).
 * libgomp reads it once, when libtorch is loaded, so it is set in process.env just before the addon
 * loads; OMP_WAIT_POLICY=PASSIVE or ACTIVE, or another GOMP_SPINCOUNT, of the user's wins.
 */
export const DEFAULT_GOMP_SPINCOUNT = '10000';

/**
 * Sets GOMP_SPINCOUNT to the default in `env` unless the user chose a policy; returns the policy in
 * effect as `NAME=value` (OMP_WAIT_POLICY first when both are set).
 */
export function applyOmpWaitPolicy(env: Record<string, string | undefined> = process.env): string {
  if (env['OMP_WAIT_POLICY'] === undefined && env['GOMP_SPINCOUNT'] === undefined) env['GOMP_SPINCOUNT'] = DEFAULT_GOMP_SPINCOUNT;
  return env['OMP_WAIT_POLICY'] !== undefined ? `OMP_WAIT_POLICY=${env['OMP_WAIT_POLICY']}` : `GOMP_SPINCOUNT=${env['GOMP_SPINCOUNT']}`;
}

function load(): { native: TorchNative | null; reason: string | null } {
  if (!existsSync(addonPath)) {
    const file = join(packageRoot, 'build', 'unavailable.json');
    let why = 'the addon was not built (run `npm run build`)';
    try {
      const u = JSON.parse(readFileSync(file, 'utf8')) as { reason: string; how: string };
      why = `${u.reason}; ${u.how}`;
    } catch { /* no record: not built yet */ }
    return { native: null, reason: `@atkd/backend-torch: ${why}` };
  }
  try {
    applyOmpWaitPolicy();
    const require = createRequire(import.meta.url);
    return { native: require(addonPath) as TorchNative, reason: null };
  } catch (e) {
    return { native: null, reason: `@atkd/backend-torch: the addon failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** The addon, or null when it is not available in this process. */
export function loadNative(): TorchNative | null {
  loaded ??= load();
  return loaded.native;
}

/** Why the torch engine is not available (null when it is). */
export function torchUnavailable(): string | null {
  loaded ??= load();
  return loaded.reason;
}
