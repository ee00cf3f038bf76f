// worker_threads entry of DataParallelTrainer: one TF.js (wasm) instance per worker that
// computes loss and gradients for its shard of each batch.
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { initBackend } from './init-backend.js';
import { lossFor, shardGradients } from './dp-shared.js';
import type { FromWorker, LossName, ToWorker } from './dp-protocol.js';

const port = parentPort;
if (port === null) throw new Error('@atkd/backend dp-worker must run in a worker thread');

let model: tf.LayersModel | null = null;
let loss: LossName = 'softmaxCrossEntropy';

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

port.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      if (msg.type === 'close') {
        model?.dispose();
        port.close();
        return;
      }
      if (msg.type === 'init') {
        const info = await initBackend({ prefer: msg.backend, log: false, threads: 1 });
        const url = msg.builder.module.startsWith('file:') ? msg.builder.module : pathToFileURL(msg.builder.module).href;
        const mod = (await import(url)) as Record<string, unknown>;
        const name = msg.builder.exportName ?? 'default';
        const build = mod[name];
        if (typeof build !== 'function') throw new Error(`builder module ${msg.builder.module} has no exported function '${name}'`);
        model = (await build(msg.builder.args)) as tf.LayersModel;
        loss = msg.loss;
        post({
          type: 'ready', backend: info.tfBackend,
          shapes: model.weights.map((w) => w.shape as number[]),
          trainable: model.weights.map((w) => w.trainable),
        });
        return;
      }
      if (model === null) throw new Error('step before init');
      const m = model;
      tf.tidy(() => m.setWeights(msg.weights.map((w, i) => tf.tensor(w, m.weights[i].shape as number[]))));
      let res!: ReturnType<typeof shardGradients>;
      // the tidy returns nothing: it would walk the returned gradient arrays element by element
      tf.tidy(() => {
        res = shardGradients(m, tf.tensor(msg.x, msg.xShape), tf.tensor(msg.y, msg.yShape), lossFor(loss));
      });
      const nonTrainable = m.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array).map((a) => a.slice());
      post({ type: 'grads', loss: res.loss, grads: res.grads, nonTrainable },
        [...res.grads.map((g) => g.buffer as ArrayBuffer), ...nonTrainable.map((g) => g.buffer as ArrayBuffer)]);
    } catch (e) {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
