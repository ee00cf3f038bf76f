import * as tf from '@tensorflow/tfjs';
import { crossEntropyPerRowTf, zscoreTf } from '../loss.js';

/** The rows as the loss uses them: z-scored when `standardize`, else as given. @internal */
export function prepared(x: tf.Tensor2D, standardize: boolean, eps: number): tf.Tensor2D {
  return standardize ? zscoreTf(x, eps) : x;
}

/** mean_b CE(logits_b, y_b) as a scalar. @internal */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.mean(crossEntropyPerRowTf(logits, labels)) as tf.Scalar;
}

/** gamma * ce + beta * kd. @internal */
export function weighted(ce: tf.Scalar, kd: tf.Scalar, gamma: number, beta: number): tf.Scalar {
  return tf.add(tf.mul(ce, gamma), tf.mul(kd, beta)) as tf.Scalar;
}

/** x / T per row (T a [B] tensor). @internal */
export function perRow(x: tf.Tensor2D, T: tf.Tensor1D): tf.Tensor2D {
  return tf.div(x, tf.reshape(T, [-1, 1])) as tf.Tensor2D;
}
