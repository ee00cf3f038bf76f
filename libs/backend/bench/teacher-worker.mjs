// Teacher inference in its own worker thread (its own wasm instance): receives a batch, replies with logits.
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '@atkd/backend';
import { cifarResNet } from './resnet.mjs';

await initBackend({ prefer: 'wasm', log: false });
const teacher = cifarResNet(workerData.depth);
parentPort.on('message', (msg) => {
  if (msg.type === 'close') { teacher.dispose(); parentPort.close(); return; }
  // the tensor out of the tidy, read after: tf.tidy walks a returned typed array index by index
  const y = tf.tidy(() => teacher.apply(tf.tensor(msg.x, msg.shape), { training: false }));
  const logits = y.dataSync();
  y.dispose();
  parentPort.postMessage({ logits }, [logits.buffer]);
});
parentPort.postMessage({ ready: true });
