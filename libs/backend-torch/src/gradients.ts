// Gradients the torch engine computes with fewer, fused kernels than TF.js's composition. Each
// defers to the gradient registered before it whenever the active backend is not `torch` (or the
// case is not one it handles), so the other backends keep their own.
import {
  FusedBatchNorm, Mean, Relu, Relu6, backend_util, div, engine, getGradient, registerGradient, reshape, tile, util,
  type GradConfig, type NamedAttrMap, type Tensor,
} from '@tensorflow/tfjs-core';
import { ATKD_BATCH_NORM_TRAIN } from './kernels/AtkdBatchNormTrain.js';
import { ATKD_BATCH_NORM_TRAIN_GRAD } from './kernels/AtkdBatchNormTrainGrad.js';
import { ATKD_FUSED_BATCH_NORM_GRAD } from './kernels/AtkdFusedBatchNormGrad.js';
import { ATKD_RELU_GRAD } from './kernels/AtkdReluGrad.js';
import { ATKD_RELU6_GRAD } from './kernels/AtkdRelu6Grad.js';

type GradFunc = GradConfig['gradFunc'];
type TorchGrad = (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ReturnType<GradFunc> | null;

/** The gradient configs registered here, by kernel name. */
const ours = new Map<string, GradConfig>();

/** Whether the gradient registered for `kernelName` is the one registered here. */
function inPlace(kernelName: string): boolean {
  const config = ours.get(kernelName);
  return config !== undefined && getGradient(kernelName) === config;
}

function register(config: GradConfig): void {
  registerGradient(config);
  ours.set(config.kernelName, config);
}

/** Registers `torchGrad` for `kernelName`; returning null (or another backend active) defers to the previous gradient. */
function deferring(kernelName: string, inputsToSave: string[], torchGrad: TorchGrad): void {
  if (inPlace(kernelName)) return;
  const previous = getGradient(kernelName);
  if (previous !== undefined && JSON.stringify(previous.inputsToSave ?? []) !== JSON.stringify(inputsToSave)) return;
  register({
    kernelName,
    inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const mine = engine().backendName === 'torch' ? torchGrad(dy as Tensor, saved, attrs) : null;
      if (mine !== null) return mine;
      if (previous === undefined) throw new Error(`no ${kernelName} gradient to defer to`);
      return previous.gradFunc(dy, saved, attrs);
    },
  });
}

/**
 * Registers the fused gradients, and registers again any that was replaced since (TF.js's
 * `@tensorflow/tfjs` registers its own gradients when it is first imported: a program that imports
 * `@atkd/backend-torch` before it would otherwise train with TF.js's composed gradients: distill
 * resnet20 -> resnet8 took 1.2x as long a batch; `initBackend` calls this through
 * `registerTorchBackend`). Returns the kernels whose gradient is fused on torch.
 */
export function registerTorchGradients(): string[] {
  // FusedBatchNorm: the five gradients in one native call (TF.js composes ~12 full-size ops).
  deferring(FusedBatchNorm, ['x', 'mean', 'variance', 'scale'], (dy, [x, mean, variance, scale], attrs) => {
    if (mean.rank !== 1) return null;
    const eps = (attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
    const inputs: Record<string, Tensor> = { dy, x, mean, variance };
    if (scale != null) inputs['scale'] = scale;
    const [dx, dmean, dvariance, doffset, dscale] = engine().runKernel(ATKD_FUSED_BATCH_NORM_GRAD, inputs, { varianceEpsilon: eps }) as Tensor[];
    return { x: () => dx, mean: () => dmean, variance: () => dvariance, offset: () => doffset, scale: () => dscale };
  });
  // AtkdBatchNormTrain (a torch-only kernel, so nothing to defer to): dx, dscale, doffset in one call.
  // dys are [dy, dmean, dvariance]; the engine passes zeros for the statistics when nothing used them
  // on the path to the loss (the moving averages are not on it); the native side skips zero ones.
  if (!inPlace(ATKD_BATCH_NORM_TRAIN)) register({
    kernelName: ATKD_BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, [x, scale, mean, variance], attrs) => {
      const [dy, dmean, dvariance] = dys as Tensor[];
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [dx, dscale, doffset] = engine().runKernel(ATKD_BATCH_NORM_TRAIN_GRAD,
        { dy, x, scale, mean, variance, dmean, dvariance }, { varianceEpsilon }) as Tensor[];
      return { x: () => dx, scale: () => dscale, offset: () => doffset };
    },
  });
  // Relu / Relu6: one pass instead of Step + Cast + Multiply.
  deferring(Relu, ['x'], (dy, [x]) => ({ x: () => engine().runKernel(ATKD_RELU_GRAD, { dy, x }, {}) as Tensor }));
  deferring(Relu6, ['x'], (dy, [x]) => ({ x: () => engine().runKernel(ATKD_RELU6_GRAD, { dy, x }, {}) as Tensor }));
  // Mean: divide the small tensor, then one broadcast (Tile) to the input's shape (TF.js builds a
  // full-size ones tensor, multiplies and divides it).
  deferring(Mean, ['x'], (dy, [x], attrs) => {
    const axes = util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
    const reduceSize = util.sizeFromShape(backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
    const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    return { x: () => tile(reshape(div(dy, reduceSize), keep), reps) };
  });
  return torchFusedGradients();
}

/** The kernels whose gradient is the fused torch one now (registered here and not replaced since). */
export function torchFusedGradients(): string[] {
  return [...ours.keys()].filter(inPlace);
}
