// Per-kernel time of one training (or inference) step on one engine: tf.profile over N steps,
// summed by kernel name. Usage: node bench/profile-step.mjs --engine torch --threads 2 --model resnet20 [--mode train|infer] [--steps 5]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { createModel } from '@atkd/models';
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const info = await initBackend({ prefer: opt('engine', 'torch'), threads: Number(opt('threads', '1')), log: false });
const net = createModel(opt('model', 'resnet20'));
const vars = net.trainableWeights.map((w) => w.read());
const o = tf.train.momentum(0.05, 0.9);
const B = Number(opt('batch', '64'));
const x = tf.randomNormal([B, 32, 32, 3], 0, 1, 'float32', 3);
const labels = tf.oneHot(tf.randomUniform([B], 0, 100, 'int32', 4), 100);
const mode = opt('mode', 'train');
const fn = mode === 'train'
  ? () => { const l = o.minimize(() => tf.losses.softmaxCrossEntropy(labels, net.apply(x, { training: true })), true, vars); l.dataSync(); l.dispose(); }
  : () => { const y = tf.tidy(() => net.apply(x, { training: false })); y.dataSync(); y.dispose(); };
for (let i = 0; i < 3; i++) fn();
const steps = Number(opt('steps', '5'));
const t0 = performance.now();
for (let i = 0; i < steps; i++) fn();
const wall = (performance.now() - t0) / steps;
const agg = new Map();
for (let i = 0; i < steps; i++) {
  const p = await tf.profile(fn);
  for (const k of p.kernels) {
    const key = k.name + ' ' + (k.inputShapes ?? []).map((s) => JSON.stringify(s)).join(' ');
    const a = agg.get(key) ?? { ms: 0, n: 0, name: k.name };
    a.ms += (await k.kernelTimeMs) / steps; a.n += 1 / steps; agg.set(key, a);
  }
}
const byName = new Map();
for (const a of agg.values()) { const b = byName.get(a.name) ?? { ms: 0, n: 0 }; b.ms += a.ms; b.n += a.n; byName.set(a.name, b); }
const total = [...byName.values()].reduce((s, b) => s + b.ms, 0);
const out = { engine: info.name, threads: info.threads, model: opt('model', 'resnet20'), mode, wallMs: wall, kernelMs: total,
  byName: Object.fromEntries([...byName].sort((a, b) => b[1].ms - a[1].ms)), byShape: Object.fromEntries([...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) };
console.log(JSON.stringify(out));
