// Full-size parity check of every zoo model against PyTorch (not part of the test suite: the
// fixtures are ~450 MB). Make them, then run this after `nx run models:build`:
//   /usr/bin/python3 tools/models-parity-fixtures.py --zoo /tmp/atkd-zoo-parity
//   node libs/models/scripts/zoo-parity.mjs /tmp/atkd-zoo-parity
// Prints, per model, the max |logit difference| against PyTorch eval mode; exits 1 if any > 1e-4.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadTorchCheckpoint } from '../dist/index.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node libs/models/scripts/zoo-parity.mjs <dir written by models-parity-fixtures.py --zoo>');
  process.exit(2);
}
const f32 = (p) => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
await tf.setBackend('cpu');
const manifest = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8'));
const input = tf.tensor4d(f32(join(dir, manifest.input)), manifest.inputShape);
let failed = 0;
const only = process.argv.slice(3);
for (const [i, f] of manifest.fixtures.entries()) {
  if (f.family !== 'zoo' || (only.length > 0 && !only.includes(f.id))) continue;
  const t0 = performance.now();
  const model = await loadTorchCheckpoint(join(dir, `${f.id}.pth`), f.config.name, { classes: f.classes });
  const out = model.predict(input);
  const got = out.dataSync();
  const want = f32(join(dir, `${f.id}.logits.bin`));
  let diff = 0;
  let amax = 0;
  for (let k = 0; k < want.length; k++) {
    diff = Math.max(diff, Math.abs(got[k] - want[k]));
    amax = Math.max(amax, Math.abs(want[k]));
  }
  tf.dispose(out);
  model.dispose();
  const ok = diff <= 1e-4;
  if (!ok) failed += 1;
  console.log(`[${i + 1}/${manifest.fixtures.length}] ${f.id.padEnd(12)} max|diff| ${diff.toExponential(2)}  (max|logit| ${amax.toFixed(2)})  ${ok ? 'ok' : 'FAIL'}  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
input.dispose();
console.log(failed === 0 ? 'all within 1e-4' : `${failed} model(s) over 1e-4`);
process.exit(failed === 0 ? 0 : 1);
