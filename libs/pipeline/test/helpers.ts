import * as tf from '@tensorflow/tfjs';

/** A conv-free, very fast seeded classifier (8x8 average pooling, dense): for pipeline mechanics tests. */
export function poolDense(classes: number, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.averagePooling2d({ poolSize: 8, strides: 8 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
