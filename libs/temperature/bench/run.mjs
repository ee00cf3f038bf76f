// `nx run temperature:bench`: the per-batch cost (B = 64, C = 100) of every temperature strategy and
// of the soft targets (exact, Taylor order 2 and 4), as a ratio to one student training step (a
// resnet8 from @atkd/models, SGD with momentum on gamma * CE + beta * T^2 * KL, on the engine
// @atkd/backend picks), all measured side by side in this one run.
// Options: --seconds S (time per measurement, default 1.5), --json FILE (also write the figures).
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { initBackend } from '@atkd/backend';
import { createModel } from '@atkd/models';
import { computeSoftTargets, withSoftTargets } from '@atkd/soft-targets';
import { TEACHER_LOGITS, withLogitsColumn } from '@atkd/columns';
import { Field, makeData, RecordBatch, Schema, Struct, Uint32 } from 'apache-arrow';
import { withTemperature, getStrategy, isLearnable, strategyNames } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '1.5'));
const B = 64;
const C = 100;
const log = (s) => process.stderr.write(`${s}\n`);

/** Median over 5 rounds of the mean time (ms) of fn over about SECONDS/5 each, after a warm-up. */
async function time(fn, { warmup = 3, rounds = 5 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let dt;
    do {
      await fn();
      n++;
      dt = performance.now() - t0;
    } while (dt < (SECONDS * 1000) / rounds || n < 2);
    per.push(dt / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)];
}

function logitsLike(seed, scale) {
  const out = new Float32Array(B * C);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // a peaked teacher-like row: noise plus a large logit on one class
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale + (i % C === (i / C) % C ? 4 * scale : 0);
  }
  return out;
}

const info = await initBackend({ log });
tf.enableProdMode();

// ---- one student training step --------------------------------------------------------------
const model = createModel('resnet8', { classes: C });
const optimizer = tf.train.momentum(0.05, 0.9);
const x = tf.randomNormal([B, 32, 32, 3], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.randomUniform([B], 0, C, 'int32', 2), C);
const softT = tf.softmax(tf.randomNormal([B, C], 0, 2, 'float32', 3));
const temps = tf.fill([B, 1], 4);
const GAMMA = 0.1;
const BETA = 9;
const step = () => {
  const cost = optimizer.minimize(() => {
    const logits = model.apply(x, { training: true });
    const ce = tf.losses.softmaxCrossEntropy(y, logits);
    const logQ = tf.logSoftmax(tf.div(logits, temps));
    const kl = tf.mean(tf.mul(tf.neg(tf.sum(tf.mul(softT, logQ), 1, true)), tf.square(temps)));
    return tf.add(tf.mul(GAMMA, ce), tf.mul(BETA, kl));
  }, true);
  return cost.data().then(() => cost.dispose());
};
await step(); // creates the optimiser's momentum slots (persistent variables)
const before = tf.memory().numTensors;
const trainMs = await time(step, { warmup: 1, rounds: 3 });
const leaked = tf.memory().numTensors - before;
log(`student step (resnet8, B=${B}, ${info.name}): ${trainMs.toFixed(1)} ms`);

// ---- temperature strategies -----------------------------------------------------------------
const teacher = logitsLike(11, 2);
const student = logitsLike(12, 1);
const rows = [];
for (const name of strategyNames()) {
  const s = getStrategy(name);
  let fn;
  let what;
  if (isLearnable(s)) {
    fn = () => {
      s.compute(teacher, C);
      s.learn(teacher, student, C, { epoch: 5 });
    };
    what = 'compute + learn (T^2 KL gradient, SGD update)';
  } else if (s.needsStudent) {
    fn = () => s.finish(teacher, student, C);
    what = 'finish(teacher, student)';
  } else {
    fn = () => s.compute(teacher, C);
    what = 'compute(teacher)';
  }
  const ms = await time(fn);
  rows.push({ name: `temperature: ${name}`, what, ms });
}

// ---- soft targets -----------------------------------------------------------------------------
const T = getStrategy('adaptive').compute(teacher, C);
for (const order of [undefined, 2, 4]) {
  const ms = await time(() => computeSoftTargets(teacher, C, T, { order, standardize: true }));
  rows.push({ name: `soft targets: ${order === undefined ? 'exact' : `Taylor order ${order}`}`, what: 'z-score + softmax at the adaptive T', ms });
}

// ---- both stages on an Arrow record batch (what a pipeline pays per batch) --------------------
const fields = [new Field('index', new Uint32(), false)];
const base = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: B, nullCount: 0, children: [makeData({ type: new Uint32(), length: B, nullCount: 0, data: new Uint32Array(B) })] }));
const batch = withLogitsColumn(base, TEACHER_LOGITS, teacher, C);
const adaptive = getStrategy('adaptive');
const stagesMs = await time(() => withSoftTargets(withTemperature(batch, adaptive), { order: 2 }));
rows.push({ name: 'stages: adaptive + soft targets (Taylor 2)', what: 'withTemperature + withSoftTargets on a RecordBatch', ms: stagesMs });

x.dispose();
y.dispose();
softT.dispose();
temps.dispose();
model.dispose();
optimizer.dispose();

const w = Math.max(...rows.map((r) => r.name.length));
console.log(`\natkd temperature bench: per-batch cost, B = ${B}, C = ${C}; ratio to one student training step`);
console.log(`engine: ${info.name} (${info.tfBackend}${info.kernels.length ? `, ${info.kernels.length} atkd kernels` : ''}); ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0].toFixed(2)}`);
console.log(`student training step (resnet8, SGD momentum, 0.1 CE + 9 T^2 KL): ${trainMs.toFixed(1)} ms${leaked !== 0 ? ` (tensor count changed by ${leaked})` : ''}\n`);
console.log(`${'what'.padEnd(w)}  ${'us/batch'.padStart(9)}  ${'ratio to step'.padStart(13)}`);
for (const r of rows) console.log(`${r.name.padEnd(w)}  ${(r.ms * 1000).toFixed(1).padStart(9)}  ${(r.ms / trainMs).toExponential(2).padStart(13)}`);
const json = opt('json', undefined);
if (json) {
  writeFileSync(json, JSON.stringify({ batch: B, classes: C, engine: info.name, trainStepMs: trainMs, rows: rows.map((r) => ({ ...r, ratio: r.ms / trainMs })) }, null, 2));
}
