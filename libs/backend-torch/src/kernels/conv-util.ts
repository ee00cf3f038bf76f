// Convolution and pooling geometry from TF.js's own helpers (so `same` padding, asymmetric for even
// sizes and strides > 1, is exactly the cpu backend's), packed for the addon.
import { backend_util } from '@tensorflow/tfjs-core';
import { Decline } from './kernel.js';

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

/**
 * Pooling geometries ATen's floor-rounded pooling does not reproduce: TF's `round` / `ceil` output
 * sizes, and windows lying wholly in the padding (a pad as large as the window). They run on cpu.
 */
export function poolDecline(info: backend_util.Conv2DInfo, dimRoundingMode?: string): Decline | null {
  if (dimRoundingMode === 'round' || dimRoundingMode === 'ceil') return new Decline(`has no torch version for dimRoundingMode ${dimRoundingMode}`);
  const p = info.padInfo;
  if (Math.max(p.top, p.bottom) >= info.filterHeight || Math.max(p.left, p.right) >= info.filterWidth) {
    return new Decline('has no torch version for a padding as large as the window');
  }
  return null;
}
