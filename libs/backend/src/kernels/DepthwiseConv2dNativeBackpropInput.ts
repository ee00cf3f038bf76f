// DepthwiseConv2dNativeBackpropInput (dx of a depthwise convolution) on wasm: each dy channel
// convolved with its own flipped taps (a forward depthwise convolution), then the channel
// multiplier's outputs of an input channel summed.
import { DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dNativeBackpropInputAttrs, DepthwiseConv2dNativeBackpropInputInputs, KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backpropInput, geometry } from './conv-util.js';
import { withCtx } from './ops.js';

export function depthwiseBackpropInput(args: { inputs: DepthwiseConv2dNativeBackpropInputInputs; backend: KernelBackend; attrs: DepthwiseConv2dNativeBackpropInputAttrs }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const g = geometry(DepthwiseConv2dNativeBackpropInput, args.attrs.inputShape, filter.shape, args.attrs, true);
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

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: depthwiseBackpropInput as unknown as KernelFunc };
