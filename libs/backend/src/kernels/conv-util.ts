// Shared by the convolution-gradient kernels (one kernel a file: Conv2DBackpropFilter.ts, ...):
// the geometry of a 2-D convolution, a forward convolution with arbitrary explicit padding, the
// zero-dilation of dy and the input gradient as a forward convolution of it.
//
// Notation (NHWC): x [N,H,W,Ci], filter [fh,fw,Ci,Co] (depthwise: [fh,fw,C,M], Co = C*M),
// dy [N,Ho,Wo,Co], output row ho reads input rows ho*sh + kh*dh - padTop.
import { backend_util } from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelCtx } from './ops.js';

/** The attributes every convolution gradient has (tfjs-core's `*BackpropFilterAttrs` / `*BackpropInputAttrs`). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export interface Geometry {
  N: number; H: number; W: number; Ci: number; Co: number;
  fh: number; fw: number; sh: number; sw: number; dh: number; dw: number;
  Ho: number; Wo: number; top: number; left: number;
}

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export function geometry(kernel: string, xShape: number[], filterShape: number[], attrs: ConvGradAttrs, depthwise: boolean): Geometry {
  const dataFormat = attrs.dataFormat as string | undefined;
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`@atkd/backend ${kernel}: dataFormat '${dataFormat}' is not supported on wasm; use 'NHWC'`);
  }
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations, attrs.pad, attrs.dimRoundingMode, depthwise,
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
export function convExplicit(
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
export function backpropInput(
  ctx: KernelCtx, g: Geometry, dy: TensorInfo, flipped: TensorInfo, kernel: 'Conv2D' | 'DepthwiseConv2dNative',
): TensorInfo {
  const dyd = zeroDilate(ctx, dy, g.sh, g.sw);
  const top = (g.fh - 1) * g.dh - g.top;
  const left = (g.fw - 1) * g.dw - g.left;
  return convExplicit(ctx, kernel, dyd, flipped, [1, 1], [g.dh, g.dw], top, left, g.H, g.W);
}
