// Helpers of the cross-project tests: small seeded CNNs and a cross-entropy trainer for teachers.
import * as tf from '@tensorflow/tfjs';
import { cifarBatches, toNormalizedNHWC } from '@atkd/data';
import { SgdMomentum, trainableVariables } from '@atkd/student';
import { lastValueFrom, tap } from 'rxjs';

/**
 * A tiny seeded CNN for 32x32x3 CIFAR images: 2x2 average pooling (to keep tests fast), then
 * conv-BN-ReLU (stride 2) per entry of `filters`, global average pooling, dense.
 */
export function tinyCnn(classes: number, seed: number, filters: number[] = [8, 16]): tf.LayersModel {
  const init = (s: number) => tf.initializers.heNormal({ seed: s });
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }).apply(input) as tf.SymbolicTensor;
  filters.forEach((f, i) => {
    x = tf.layers.conv2d({ filters: f, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(seed + i) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Trains `model` with cross-entropy (SGD with momentum) on a CIFAR Arrow file; returns the last epoch's mean loss. */
export async function trainClassifier(model: tf.LayersModel, file: string, epochs: number, options: { batchSize?: number; lr?: number; seed?: number } = {}): Promise<number> {
  const opt = new SgdMomentum({ lr: options.lr ?? 0.1, weightDecay: 5e-4 });
  const vars = trainableVariables(model);
  const classes = model.outputs[0].shape[1] as number;
  let sum = 0;
  let n = 0;
  let currentEpoch = -1;
  await lastValueFrom(
    cifarBatches(file, { batchSize: options.batchSize ?? 50, shuffle: true, augment: false, seed: options.seed ?? 1, epochs }).pipe(
      tap((b) => {
        if (b.epoch !== currentEpoch) {
          currentEpoch = b.epoch;
          sum = 0;
          n = 0;
        }
        tf.tidy(() => {
          const x = tf.tensor4d(toNormalizedNHWC(b), [b.size, 32, 32, 3]);
          const y = tf.oneHot(tf.tensor1d(b.fine, 'int32'), classes);
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
          opt.apply(vars, grads, opt.lr0);
          sum += value.dataSync()[0];
          n += 1;
        });
      }),
    ),
  );
  opt.dispose();
  return sum / Math.max(n, 1);
}
