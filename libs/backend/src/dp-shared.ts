import * as tf from '@tensorflow/tfjs';
import type { LossName } from './dp-protocol.js';

export type LossFn = (labels: tf.Tensor, outputs: tf.Tensor) => tf.Scalar;

export function lossFor(name: LossName): LossFn {
  switch (name) {
    case 'softmaxCrossEntropy': return (y, o) => tf.losses.softmaxCrossEntropy(y, o) as tf.Scalar;
    case 'meanSquaredError': return (y, o) => tf.losses.meanSquaredError(y, o) as tf.Scalar;
    default: throw new Error(`unknown loss '${String(name)}'; use softmaxCrossEntropy or meanSquaredError`);
  }
}

/** Mean loss over the shard and its gradients w.r.t. every trainable weight (model.trainableWeights order). */
export function shardGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, loss: LossFn): { loss: number; grads: Float32Array[] } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => loss(y, model.apply(x, { training: true }) as tf.Tensor), vars);
  const out = vars.map((v) => (grads[v.name].dataSync() as Float32Array).slice());
  const l = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: l, grads: out };
}
