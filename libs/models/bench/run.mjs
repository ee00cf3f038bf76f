// Forward-pass throughput of zoo models on the tfjs `cpu` and `wasm` backends, side by side in one
// run (images/s and the wasm/cpu ratio). Run: `npx nx run models:bench` (builds first), or
//   node libs/models/bench/run.mjs [--models resnet8,ShuffleV2] [--batch 8] [--seconds 1]
// Random weights (speed does not depend on values); input 32x32x3, inference mode.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, listModels } from '../dist/index.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const names = arg('models', 'resnet8,resnet56,wrn_16_2,MobileNetV2,ShuffleV2').split(',');
const batch = Number(arg('batch', '8'));
const seconds = Number(arg('seconds', '1'));
const info = new Map(listModels().map((m) => [m.name, m]));
for (const n of names) if (!info.has(n)) throw new Error(`--models: unknown model '${n}'`);

async function throughput(backend, name) {
  await tf.setBackend(backend);
  const model = createModel(name);
  const x = tf.randomNormal([batch, 32, 32, 3]);
  const run = () => { const y = tf.tidy(() => model.predict(x)); y.dataSync(); y.dispose(); };
  run(); // warm-up (kernel setup, wasm compilation)
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    run();
    images += batch;
  }
  const rate = images / ((performance.now() - t0) / 1000);
  x.dispose();
  model.dispose();
  return rate;
}

console.log(`forward throughput, batch ${batch}, >= ${seconds} s per cell (images/s; MACs per image from listModels)`);
console.log(`${'model'.padEnd(12)} ${'MMACs'.padStart(8)} ${'cpu'.padStart(9)} ${'wasm'.padStart(9)} ${'wasm/cpu'.padStart(9)}`);
for (const [i, name] of names.entries()) {
  const cpu = await throughput('cpu', name);
  const wasm = await throughput('wasm', name);
  const mmacs = (info.get(name).macs / 1e6).toFixed(1);
  console.log(`${name.padEnd(12)} ${mmacs.padStart(8)} ${cpu.toFixed(1).padStart(9)} ${wasm.toFixed(1).padStart(9)} ${(wasm / cpu).toFixed(2).padStart(9)}   [${i + 1}/${names.length}]`);
}
