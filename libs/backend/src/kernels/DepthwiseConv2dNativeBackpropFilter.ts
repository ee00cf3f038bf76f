// DepthwiseConv2dNativeBackpropFilter (dW of a depthwise convolution) on wasm: per tap, a strided
// slice of the padded input times dy, summed over batch and space.
import { DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dNativeBackpropFilterAttrs, DepthwiseConv2dNativeBackpropFilterInputs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { geometry } from './conv-util.js';
import { withCtx } from './ops.js';

export function depthwiseBackpropFilter(args: { inputs: DepthwiseConv2dNativeBackpropFilterInputs; backend: KernelBackend; attrs: DepthwiseConv2dNativeBackpropFilterAttrs }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const g = geometry(DepthwiseConv2dNativeBackpropFilter, x.shape, args.attrs.filterShape, args.attrs, true);
  const [fh, fw, C, M] = args.attrs.filterShape;
  return withCtx(args.backend, (ctx) => {
    // Per tap: dW[kh,kw,c,m] = sum_{n,ho,wo} x[n, tap rows/cols, c] * dy[n,ho,wo,c*M+m].
    const needH = (fh - 1) * g.dh + (g.Ho - 1) * g.sh + 1;
    const needW = (fw - 1) * g.dw + (g.Wo - 1) * g.sw + 1;
    const xp = ctx.pad(x, [[0, 0], [g.top, Math.max(0, needH - g.H - g.top)], [g.left, Math.max(0, needW - g.W - g.left)], [0, 0]]);
    const dy5 = ctx.reshape(dy, [g.N, g.Ho, g.Wo, C, M]);
    const taps: TensorInfo[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const r0 = kh * g.dh, c0 = kw * g.dw;
        const xs = ctx.stridedSlice(xp, [0, r0, c0, 0],
          [g.N, r0 + (g.Ho - 1) * g.sh + 1, c0 + (g.Wo - 1) * g.sw + 1, C], [1, g.sh, g.sw, 1]);
        const xs5 = ctx.reshape(xs, [g.N, g.Ho, g.Wo, C, 1]);
        const prod = ctx.run('Multiply', { a: xs5, b: dy5 });
        const s = ctx.run('Sum', { x: prod }, { axis: [0, 1, 2], keepDims: false }); // [C,M]
        taps.push(ctx.reshape(s, [1, C, M]));
      }
    }
    const all = taps.length === 1 ? taps[0] : ctx.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
    return ctx.reshape(all, [fh, fw, C, M]);
  });
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc };
