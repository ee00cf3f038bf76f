// Convolution and pooling geometry from TF.js's own helpers (so `same` padding, asymmetric for even
// sizes and strides > 1, is exactly the cpu backend's), packed for the addon.
import { backend_util } from '@tensorflow/tfjs-core';

/** [padTop, padBottom, padLeft, padRight, strideH, strideW, dilationH, dilationW] */
export function convParams(info: backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [p.top, p.bottom, p.left, p.right, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth];
}

/** [filterH, filterW, strideH, strideW, padTop, padBottom, padLeft, padRight] */
export function poolParams(info: backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, p.top, p.bottom, p.left, p.right];
}
