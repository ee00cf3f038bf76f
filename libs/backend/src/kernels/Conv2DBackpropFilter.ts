// Conv2DBackpropFilter (dW of a 2-D convolution) on wasm, as one XNNPACK-backed forward Conv2D:
// dW[kh,kw,ci,co] = sum_{n,ho,wo} xp[n, ho*sh + kh*dh, wo*sw + kw*dw, ci] * dy[n,ho,wo,co].
import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { convExplicit, geometry } from './conv-util.js';
import { withCtx } from './ops.js';

export function conv2DBackpropFilter(args: { inputs: Conv2DBackpropFilterInputs; backend: KernelBackend; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const g = geometry(Conv2DBackpropFilter, x.shape, args.attrs.filterShape, args.attrs, false);
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

export const conv2DBackpropFilterConfig: KernelConfig = { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc };
