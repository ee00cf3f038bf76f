// The gradient of Mean scaling the small tensor (dy / n) before the broadcast (TF.js divides the full
// one); backend-neutral.
import * as tf from '@tensorflow/tfjs-core';
import { Mean, util } from '@tensorflow/tfjs-core';
import type { GradConfig, MeanAttrs, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/** Mean: dx = (dy / n) broadcast to x's shape; scales the small tensor first (TF.js divides the full one). */
export const meanGradConfig: GradConfig = {
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const axes = util.parseAxisParam((attrs as unknown as MeanAttrs).axis, x.shape);
    const n = util.sizeFromShape(axes.map((a) => x.shape[a]));
    const expanded = x.shape.slice();
    for (const a of axes) expanded[a] = 1;
    return {
      x: () => tf.mul(tf.reshape(tf.div(dy as Tensor, tf.scalar(n)), expanded), tf.ones(x.shape, 'float32')),
    };
  },
};
