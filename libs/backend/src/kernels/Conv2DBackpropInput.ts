// Conv2DBackpropInput (dx of a 2-D convolution) on wasm: for a stride s > 1 without dilation the
// sub-pixel form (one stride-1 convolution computing every output phase, then an interleave);
// otherwise a forward convolution of the zero-dilated dy with the spatially flipped filter.
import { Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backpropInput, convExplicit, geometry, type Geometry } from './conv-util.js';
import { withCtx, type KernelCtx } from './ops.js';

/**
 * Sub-pixel form of a strided (dilation 1) input gradient: output row u = h + padTop = s*a + b
 * receives sum_m dy[a - m] * W[b + s*m]. One stride-1 Conv2D of dy with a filter of
 * ceil(fh/s) x ceil(fw/s) taps and s*s*Ci output channels computes every phase b at once, and a
 * depth-to-space interleaves the phases; no zero-inserted dy, so no wasted multiply-adds on zeros.
 */
function subPixelBackpropInput(ctx: KernelCtx, g: Geometry, dy: TensorInfo, filter: TensorInfo): TensorInfo {
  const s = g.sh; // == g.sw
  const { fh, fw, Ci, Co } = g;
  const Mh = Math.ceil(fh / s), Mw = Math.ceil(fw / s);
  const w = ctx.read(filter); // [fh,fw,Ci,Co]
  const ch = s * s * Ci;
  const f = new Float32Array(Mh * Mw * Co * ch); // [Mh,Mw,Co,(bh,bw,ci)]
  for (let th = 0; th < Mh; th++) {
    for (let tw = 0; tw < Mw; tw++) {
      for (let bh = 0; bh < s; bh++) {
        const kh = bh + s * (Mh - 1 - th);
        if (kh >= fh) continue;
        for (let bw = 0; bw < s; bw++) {
          const kw = bw + s * (Mw - 1 - tw);
          if (kw >= fw) continue;
          for (let ci = 0; ci < Ci; ci++) {
            const src = ((kh * fw + kw) * Ci + ci) * Co;
            const dst = ((th * Mw + tw) * Co) * ch + (bh * s + bw) * Ci + ci;
            for (let co = 0; co < Co; co++) f[dst + co * ch] = w[src + co];
          }
        }
      }
    }
  }
  const F = ctx.fromArray([Mh, Mw, Co, ch], f);
  const A = Math.ceil((g.top + g.H) / s), B = Math.ceil((g.left + g.W) / s);
  const phases = convExplicit(ctx, 'Conv2D', dy, F, [1, 1], [1, 1], Mh - 1, Mw - 1, A, B); // [N,A,B,s*s*Ci]
  // Interleave the phases (depth-to-space) as reshape/transpose/reshape: the wasm DepthToSpace
  // kernel is a generic index loop ~10x slower than Transpose on these shapes.
  const six = ctx.reshape(phases, [g.N, A, B, s, s, Ci]);
  const u = ctx.reshape(ctx.transpose(six, [0, 1, 3, 2, 4, 5]), [g.N, A * s, B * s, Ci]);
  return ctx.slice(u, [0, g.top, g.left, 0], [g.N, g.H, g.W, Ci]);
}

export function conv2DBackpropInput(args: { inputs: Conv2DBackpropInputInputs; backend: KernelBackend; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const g = geometry(Conv2DBackpropInput, args.attrs.inputShape, filter.shape, args.attrs, false);
  return withCtx(args.backend, (ctx) => {
    if (g.sh === g.sw && g.sh > 1 && g.dh === 1 && g.dw === 1) return subPixelBackpropInput(ctx, g, dy, filter);
    // flipped[k', l', co, ci] = filter[fh-1-k', fw-1-l', ci, co]
    const rev = ctx.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flipped = ctx.transpose(rev, [0, 1, 3, 2]);
    return backpropInput(ctx, g, dy, flipped, 'Conv2D');
  });
}

export const conv2DBackpropInputConfig: KernelConfig = { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: conv2DBackpropInput as unknown as KernelFunc };
