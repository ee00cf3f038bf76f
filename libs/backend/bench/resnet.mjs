// CIFAR ResNets as defined in RepDistiller (models/resnet.py): conv3x3-BN-ReLU stem with 16
// channels, three stages of BasicBlocks with [16, 32, 64] channels (stride 2 at stages 2 and 3,
// option-B 1x1 conv + BN shortcut when the shape changes), global average pool, linear classifier.
// resnet8 = 1 block per stage, resnet20 = 3. Built here with tf.layers for the benchmark only.
import * as tf from '@tensorflow/tfjs';

function convBn(x, filters, kernelSize, strides, name) {
  const c = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, name: `${name}_conv`,
    kernelInitializer: 'heNormal' }).apply(x);
  return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` }).apply(c);
}

function basicBlock(x, planes, stride, name) {
  const inPlanes = x.shape[3];
  let out = tf.layers.reLU().apply(convBn(x, planes, 3, stride, `${name}_1`));
  out = convBn(out, planes, 3, 1, `${name}_2`);
  const shortcut = stride !== 1 || inPlanes !== planes ? convBn(x, planes, 1, stride, `${name}_down`) : x;
  return tf.layers.reLU().apply(tf.layers.add().apply([out, shortcut]));
}

/** depth = 6n + 2 (8 -> n=1, 20 -> n=3). */
export function cifarResNet(depth, numClasses = 100) {
  if ((depth - 2) % 6 !== 0) throw new Error(`resnet depth must be 6n+2, got ${depth}`);
  const n = (depth - 2) / 6;
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.reLU().apply(convBn(input, 16, 3, 1, 'stem'));
  [16, 32, 64].forEach((planes, stage) => {
    for (let b = 0; b < n; b++) x = basicBlock(x, planes, b === 0 && stage > 0 ? 2 : 1, `s${stage + 1}b${b + 1}`);
  });
  x = tf.layers.globalAveragePooling2d({}).apply(x);
  const out = tf.layers.dense({ units: numClasses, name: 'fc' }).apply(x);
  return tf.model({ inputs: input, outputs: out, name: `resnet${depth}` });
}

/** One SGD-momentum training step closure over a fixed batch (like the PyTorch peer). */
export function makeTrainStep(model, batch, seed = 1) {
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', seed);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 100, 'int32', seed + 1), 100);
  const opt = tf.train.momentum(0.05, 0.9);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }));
  return {
    step() { const l = opt.minimize(loss, true); const v = l.dataSync()[0]; l.dispose(); return v; },
    infer() { const y = tf.tidy(() => model.apply(x, { training: false })); y.dataSync(); y.dispose(); },
    dispose() { tf.dispose([x, labels]); opt.dispose(); },
  };
}
