// The gradient of FusedBatchNorm without TF.js's tiles of r to the activation shape (~10 full passes):
// same math, fewer passes; backend-neutral (registered for every backend).
import * as tf from '@tensorflow/tfjs-core';
import { FusedBatchNorm, backend_util } from '@tensorflow/tfjs-core';
import type { FusedBatchNormAttrs, GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/**
 * FusedBatchNorm: y = (x - mean) * r * scale + offset with r = rsqrt(variance + eps).
 * With S = sum(dy), C = sum((x - mean) * dy) over the broadcast axes:
 * dx = dy * r * scale, dmean = -r * scale * S, dvariance = -0.5 * r^3 * scale * C,
 * dscale = r * C, doffset = S. (TF.js tiles r to the full activation shape and makes ~10 passes.)
 */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const eps = (attrs as unknown as FusedBatchNormAttrs).varianceEpsilon;
    const [x, mean, variance, scale] = saved;
    const axes = backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: Tensor): Tensor => (axes.length > 0 ? tf.reshape(tf.sum(t, axes), mean.shape) : t);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
    const rs = scale == null ? r : tf.mul(r, scale);
    // Shared by several input gradients, so computed here (each closure runs in its own tidy);
    // the engine disposes these with the rest of the backward pass.
    const S = reduce(g);
    const C = reduce(tf.mul(tf.sub(x, mean), g));
    return {
      x: () => tf.mul(g, rs),
      mean: () => tf.neg(tf.mul(rs, S)),
      variance: () => tf.mul(tf.mul(tf.mul(tf.mul(r, r), rs), tf.scalar(-0.5)), C),
      scale: () => tf.mul(r, C),
      offset: () => tf.clone(S),
    };
  },
};
