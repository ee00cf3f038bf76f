// Fast / missing convolution gradients for the wasm backend, formulated on the
// XNNPACK-backed forward kernels (Conv2D, DepthwiseConv2dNative) plus cheap layout ops.
//
// Notation (NHWC): x [N,H,W,Ci], filter [fh,fw,Ci,Co] (depthwise: [fh,fw,C,M], Co = C*M),
// dy [N,Ho,Wo,Co], output row ho reads input rows ho*sh + kh*dh - padTop.
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelCtx, withCtx } from './ops.js';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

interface Geometry {
  N: number; H: number; W: number; Ci: number; Co: number;
  fh: number; fw: number; sh: number; sw: number; dh: number; dw: number;
  Ho: number; Wo: number; top: number; left: number;
}

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function geometry(
  kernel: string, xShape: number[], filterShape: number[], attrs: NamedAttrMap, depthwise: boolean,
): Geometry {
  const dataFormat = attrs['dataFormat'] as string | undefined;
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`@atkd/backend ${kernel}: dataFormat '${dataFormat}' is not supported on wasm; use 'NHWC'`);
  }
  const strides = pair(attrs['strides'] as number | [number, number]);
  const dilations = pair(attrs['dilations'] as number | [number, number] | undefined);
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations, attrs['pad'] as Pad, attrs['dimRoundingMode'] as RoundingMode, depthwise,
  );
  return {
    N: info.batchSize, H: info.inHeight, W: info.inWidth, Ci: info.inChannels, Co: info.outChannels,
    fh: info.filterHeight, fw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, Ho: info.outHeight, Wo: info.outWidth,
    top: info.padInfo.top, left: info.padInfo.left,
  };
}

/**
 * A forward convolution with arbitrary (possibly negative) explicit paddings, so that the
 * output has exactly `outH x outW` rows/cols: negative padding crops the input first.
 */
function convExplicit(
  ctx: KernelCtx, kernel: 'Conv2D' | 'DepthwiseConv2dNative', x: TensorInfo, filter: TensorInfo,
  stride: [number, number], dilation: [number, number], top: number, left: number, outH: number, outW: number,
): TensorInfo {
  const [, H, W] = x.shape;
  const [fh, fw] = filter.shape;
  const spanH = (fh - 1) * dilation[0] + 1;
  const spanW = (fw - 1) * dilation[1] + 1;
  let bottom = (outH - 1) * stride[0] + spanH - H - top;
  let right = (outW - 1) * stride[1] + spanW - W - left;
  // Crop where a padding is negative.
  const cropTop = Math.max(0, -top), cropLeft = Math.max(0, -left);
  const cropBottom = Math.max(0, -bottom), cropRight = Math.max(0, -right);
  let input = x;
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    input = ctx.slice(x, [0, cropTop, cropLeft, 0],
      [x.shape[0], H - cropTop - cropBottom, W - cropLeft - cropRight, x.shape[3]]);
  }
  const t = Math.max(0, top), l = Math.max(0, left);
  bottom = Math.max(0, bottom);
  right = Math.max(0, right);
  return ctx.run(kernel, { x: input, filter }, {
    strides: stride, dilations: dilation, pad: [[0, 0], [t, bottom], [l, right], [0, 0]],
    dataFormat: 'NHWC', dimRoundingMode: undefined,
  } as unknown as NamedAttrMap);
}

/** Inserts (s-1) zeros after every row/column: [N,Ho,Wo,C] -> [N,Ho*sh,Wo*sw,C]. */
function zeroDilate(ctx: KernelCtx, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [N, Ho, Wo, C] = dy.shape;
  const six = ctx.reshape(dy, [N, Ho, 1, Wo, 1, C]);
  const padded = ctx.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return ctx.reshape(padded, [N, Ho * sh, Wo * sw, C]);
}

/** dx of a convolution = forward conv of the zero-dilated dy with the spatially flipped filter. */
function backpropInput(
  ctx: KernelCtx, g: Geometry, dy: TensorInfo, flipped: TensorInfo, kernel: 'Conv2D' | 'DepthwiseConv2dNative',
): TensorInfo {
  const dyd = zeroDilate(ctx, dy, g.sh, g.sw);
  const top = (g.fh - 1) * g.dh - g.top;
  const left = (g.fw - 1) * g.dw - g.left;
  return convExplicit(ctx, kernel, dyd, flipped, [1, 1], [g.dh, g.dw], top, left, g.H, g.W);
}

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

export function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs['inputShape'] as number[];
  const g = geometry('Conv2DBackpropInput', inputShape, filter.shape, attrs, false);
  return withCtx(args.backend, (ctx) => {
    if (g.sh === g.sw && g.sh > 1 && g.dh === 1 && g.dw === 1) return subPixelBackpropInput(ctx, g, dy, filter);
    // flipped[k', l', co, ci] = filter[fh-1-k', fw-1-l', ci, co]
    const rev = ctx.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flipped = ctx.transpose(rev, [0, 1, 3, 2]);
    return backpropInput(ctx, g, dy, flipped, 'Conv2D');
  });
}

export function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs['filterShape'] as number[];
  const g = geometry('Conv2DBackpropFilter', x.shape, filterShape, attrs, false);
  return withCtx(args.backend, (ctx) => {
    // dW[kh,kw,ci,co] = sum_{n,ho,wo} xp[n, ho*sh + kh*dh, wo*sw + kw*dw, ci] * dy[n,ho,wo,co]
    // is a Conv2D with batch=ci, in-channels=n, filter=dy (spatial Ho x Wo), stride=(dh,dw),
    // dilation=(sh,sw), output spatial fh x fw.
    const xt = ctx.transpose(x, [3, 1, 2, 0]); // [Ci,H,W,N]
    const dyt = ctx.transpose(dy, [1, 2, 0, 3]); // [Ho,Wo,N,Co]
    const out = convExplicit(ctx, 'Conv2D', xt, dyt, [g.dh, g.dw], [g.sh, g.sw], g.top, g.left, g.fh, g.fw);
    return ctx.transpose(out, [1, 2, 0, 3]); // [Ci,fh,fw,Co] -> [fh,fw,Ci,Co]
  });
}

export function depthwiseBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs['inputShape'] as number[];
  const g = geometry('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, attrs, true);
  const [fh, fw, C, M] = filter.shape;
  return withCtx(args.backend, (ctx) => {
    // Each of the C*M dy channels is convolved with its own flipped tap set, then the M
    // channel-multiplier outputs of an input channel are summed.
    const rev = ctx.run('Reverse', { x: filter }, { dims: [0, 1] });
    const flipped = ctx.reshape(rev, [fh, fw, C * M, 1]);
    const out = backpropInput(ctx, g, dy, flipped, 'DepthwiseConv2dNative'); // [N,H,W,C*M]
    if (M === 1) return out;
    const five = ctx.reshape(out, [g.N, g.H, g.W, C, M]);
    return ctx.run('Sum', { x: five }, { axis: [4], keepDims: false });
  });
}

export function depthwiseBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs['filterShape'] as number[];
  const g = geometry('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs, true);
  const [fh, fw, C, M] = filterShape;
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

export const atkdConvGradKernels: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseBackpropFilter as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseBackpropInput as unknown as KernelConfig['kernelFunc'] },
];
