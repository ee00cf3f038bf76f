// Shared by Sum.ts and Mean.ts: Sum / Mean over the leading axes (batch-norm statistics and gradients reduce [N,H,W,C] over
// N,H,W): the wasm kernels transpose the input so the reduced axes are innermost, then loop.
// Here the reduction is one XNNPACK average pooling of X viewed as [1,R,1,C] with an R x 1 window
// (a single streaming pass, no transpose); Sum scales the [C] result by R. (A matrix product
// ones[1,R] x X[R,C] was tried: XNNPACK repacks X as weights on every call, no faster than wasm's.)
// Every other case is handed to the wasm backend's own kernel.
import { getKernel, util } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm'; // registers the wasm kernels this module wraps
import type { KernelBackend, KernelConfig, KernelFunc, MeanAttrs, MeanInputs, SumAttrs, SumInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { withCtx } from './ops.js';

function leadingReduction(x: TensorInfo, attrs: SumAttrs | MeanAttrs): { R: number; C: number; outShape: number[] } | null {
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes.length === x.shape.length || !axes.every((a, i) => a === i)) return null;
  const R = util.sizeFromShape(x.shape.slice(0, axes.length));
  const C = util.sizeFromShape(x.shape.slice(axes.length));
  if (R < 2 || C === 0) return null;
  const keep = attrs.keepDims === true;
  const rest = x.shape.slice(axes.length);
  return { R, C, outShape: keep ? [...axes.map(() => 1), ...rest] : rest };
}

/** `kernelName` over leading axes as one XNNPACK average pooling; any other case to `original` (the wasm backend's kernel). */
function reduceVia(kernelName: 'Sum' | 'Mean', original: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: SumInputs | MeanInputs; backend: KernelBackend; attrs: SumAttrs | MeanAttrs };
    const x = inputs.x as TensorInfo;
    const plan = leadingReduction(x, attrs);
    if (plan === null) {
      if (original === undefined) throw new Error(`@atkd/backend: no wasm ${kernelName} kernel to fall back to`);
      return original(args);
    }
    const { R, C, outShape } = plan;
    return withCtx(backend, (ctx) => {
      const x4 = ctx.reshape(x, [1, R, 1, C]);
      const mean = ctx.run('AvgPool', { x: x4 }, { filterSize: [R, 1], strides: [1, 1], pad: 'valid' });
      const out = kernelName === 'Mean' ? mean : ctx.run('Multiply', { a: mean, b: ctx.fromArray([], Float32Array.of(R)) });
      return ctx.reshape(out, outShape);
    });
  };
}

/**
 * The config of atkd's `name` kernel on wasm, wrapping the wasm backend's own (built when this
 * module loads, after the import of tfjs-backend-wasm registered it; its setupFunc (cwrap) runs when
 * the wasm backend initializes).
 */
export function leadingReductionConfig(name: 'Sum' | 'Mean'): KernelConfig {
  const own = getKernel(name, 'wasm');
  return { kernelName: name, backendName: 'wasm', kernelFunc: reduceVia(name, own?.kernelFunc), setupFunc: own?.setupFunc };
}
