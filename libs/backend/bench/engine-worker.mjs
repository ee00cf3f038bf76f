// One atkd engine (torch or wasm) with N threads in its own worker thread (wasm's thread count is
// fixed per thread once it initializes; ATen's is per thread too): measures, on request, training
// or inference img/s of a zoo model at a fixed batch, or the KD step of the authors' loop
// (teacher forward in eval mode + student SGD step on gamma CE + beta T^2 KL with the paired
// adaptive temperature computed from this step's logits, as data).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { createModel } from '@atkd/models';
import { maxLogitTemperature } from '@atkd/math';
import { distillLossTf } from '@atkd/student';
import { torchAvailable, torchHeapPolicy } from '@atkd/backend-torch';

// `torch-unfused`: the torch engine with train-mode batch norm as TF.js composes it (ATKD_FUSED_BN=0,
// read per call from this worker's own copy of the environment), for new-vs-old rows in one run.
// `torch-s3`: also each output's shape by a second addon call (ATKD_TORCH_SHAPE_BUFFER=0), as in session 3.
const VARIANTS = {
  'torch-unfused': { engine: 'torch', env: { ATKD_FUSED_BN: '0' } },
  'torch-s3': { engine: 'torch', env: { ATKD_FUSED_BN: '0', ATKD_TORCH_SHAPE_BUFFER: '0' } },
};
const variant = VARIANTS[workerData.engine] ?? { engine: workerData.engine, env: {} };
Object.assign(process.env, variant.env);
const info = await initBackend({ prefer: variant.engine, threads: workerData.threads, log: false });
const models = new Map();
function model(name) {
  let m = models.get(name);
  if (m === undefined) {
    const net = createModel(name);
    m = { net, vars: net.trainableWeights.map((w) => w.read()), opt: tf.train.momentum(0.05, 0.9), kdOpt: tf.train.momentum(0.05, 0.9) };
    models.set(name, m);
  }
  return m;
}

function setup(req) {
  const x = tf.randomNormal([req.batch, 32, 32, 3], 0, 1, 'float32', 3);
  const labelsInt = tf.randomUniform([req.batch], 0, 100, 'int32', 4);
  const labels = tf.oneHot(labelsInt, 100);
  const keep = [x, labelsInt, labels];
  if (req.mode === 'kd') {
    const t = model(req.teacher).net;
    const s = model(req.student);
    return {
      keep,
      fn: () => {
        const teacher = tf.tidy(() => t.apply(x, { training: false }));
        const loss = s.kdOpt.minimize(() => {
          const logits = s.net.apply(x, { training: true });
          // the paired temperature from this step's logits, as data (no gradient through T)
          const T = tf.tensor1d(Float32Array.from(maxLogitTemperature(teacher.dataSync(), 100, { student: logits.dataSync() })));
          return distillLossTf(logits, labelsInt, { teacherLogits: teacher }, T).total;
        }, true, s.vars);
        loss.dataSync();
        tf.dispose([loss, teacher]);
      },
    };
  }
  const m = model(req.model);
  if (req.mode === 'train') {
    return { keep, fn: () => { const l = m.opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, m.net.apply(x, { training: true })), true, m.vars); l.dataSync(); l.dispose(); } };
  }
  return { keep, fn: () => { const y = tf.tidy(() => m.net.apply(x, { training: false })); y.dataSync(); y.dispose(); } };
}

parentPort.on('message', (req) => {
  if (req.type === 'close') {
    for (const m of models.values()) { m.net.dispose(); m.opt.dispose(); m.kdOpt.dispose(); }
    parentPort.close();
    return;
  }
  try {
    const { keep, fn } = setup(req);
    fn(); // warm-up (optimizer slots, kernel caches)
    let calls = 0;
    const t0 = performance.now();
    for (;;) {
      fn();
      calls++;
      const dt = (performance.now() - t0) / 1000;
      if (dt >= req.seconds && calls >= 2) {
        tf.dispose(keep);
        parentPort.postMessage({ rate: (calls * req.batch) / dt, tensors: tf.memory().numTensors });
        return;
      }
    }
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true, engine: info.name, threads: info.threads, version: info.version, note: info.threadsNote, heap: info.name === 'torch' && torchAvailable() ? torchHeapPolicy() : undefined });
