import * as tf from '@tensorflow/tfjs';
import { cifarBatches, toRecordBatch } from '@atkd/data';
import type { RecordBatch } from 'apache-arrow';
import { lastValueFrom, map, take, toArray } from 'rxjs';

/** A small seeded teacher: conv (stride 2), batch norm with non-trivial moving stats, ReLU, pooling, dense. */
export function tinyTeacher(seed: number, classes = 100): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ movingMeanInitializer: tf.initializers.constant({ value: 0.1 }), movingVarianceInitializer: tf.initializers.constant({ value: 2 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** The first `n` batches of `file` as record batches. */
export async function sampleBatches(file: string, batchSize: number, n = Infinity): Promise<RecordBatch[]> {
  return lastValueFrom(cifarBatches(file, { batchSize }).pipe(take(n), map(toRecordBatch), toArray()));
}
