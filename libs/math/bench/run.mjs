#!/usr/bin/env node
// Benchmark of @atkd/math (nx run math:bench): the cost of the adaptive temperature plus soft
// targets (exact softmax and Taylor approximations) for one batch, as a ratio to the exact softmax
// of the same batch at a fixed temperature, all measured side by side in one run (interleaved
// rounds, median per variant). Options: --rows=64 --classes=100 --rounds=31 --ms=40
// Writes the table to stdout and JSON to reports/bench/math.json (workspace root).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kdLoss, maxLogitTemperature, softmax, taylorSoftmax, zscore } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z]+)=(.+)$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}: expected --rows=N, --classes=N, --rounds=N or --ms=N`);
    return [m[1], Number(m[2])];
  }),
);
for (const [k, v] of Object.entries(args)) {
  if (!['rows', 'classes', 'rounds', 'ms'].includes(k)) throw new Error(`unknown option --${k}`);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer, got ${v}`);
}
const B = args.rows ?? 64;
const C = args.classes ?? 100;
const ROUNDS = args.rounds ?? 31;
const MS = args.ms ?? 40; // time slice per variant per round

// Deterministic logits (xorshift + Box-Muller), CIFAR-100-like: teacher with a clear arg-max.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
const teacher = new Float32Array(B * C);
const student = new Float32Array(B * C);
for (let b = 0; b < B; b++) {
  for (let c = 0; c < C; c++) teacher[b * C + c] = 3 * gauss();
  teacher[b * C + Math.floor(rand() * C)] += 12;
  for (let c = 0; c < C; c++) student[b * C + c] = 0.7 * teacher[b * C + c] + 2 * gauss();
}

const out = new Float64Array(B * C);
const z = new Float64Array(B * C);
let sink = 0;
const variants = {
  'exact softmax, fixed T (baseline)': () => softmax(teacher, C, 4, out),
  'adaptive T + exact soft targets': () => {
    zscore(teacher, C, undefined, z);
    return softmax(z, C, maxLogitTemperature(z, C, { standardize: false }), out);
  },
  'adaptive T + Taylor soft targets, order 2': () => {
    zscore(teacher, C, undefined, z);
    return taylorSoftmax(z, C, maxLogitTemperature(z, C, { standardize: false }), 2, out);
  },
  'adaptive T + Taylor soft targets, order 4': () => {
    zscore(teacher, C, undefined, z);
    return taylorSoftmax(z, C, maxLogitTemperature(z, C, { standardize: false }), 4, out);
  },
  'adaptive T + Taylor soft targets, order 8': () => {
    zscore(teacher, C, undefined, z);
    return taylorSoftmax(z, C, maxLogitTemperature(z, C, { standardize: false }), 8, out);
  },
  'paired adaptive T + exact soft targets': () => {
    zscore(teacher, C, undefined, z);
    return softmax(z, C, maxLogitTemperature(teacher, C, { student }), out);
  },
  'kdLoss, adaptive (paired; whole loss, both rows)': () => kdLoss(student, teacher, C, { temperature: 'adaptive' }),
};
const names = Object.keys(variants);

function timeSlice(fn) {
  // calls per slice calibrated once; returns ns per call
  let n = 0;
  const t0 = process.hrtime.bigint();
  const limit = BigInt(MS) * 1_000_000n;
  let t1 = t0;
  while (t1 - t0 < limit) {
    for (let i = 0; i < 16; i++) {
      const r = fn();
      sink += typeof r === 'number' ? r : r[0];
    }
    n += 16;
    t1 = process.hrtime.bigint();
  }
  return Number(t1 - t0) / n;
}

for (const name of names) timeSlice(variants[name]); // warm-up (JIT)
const samples = Object.fromEntries(names.map((n) => [n, []]));
const started = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  // rotate the order every round so no variant always runs first
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length];
    samples[name].push(timeSlice(variants[name]));
  }
  const done = r + 1;
  const elapsed = (Date.now() - started) / 1000;
  const eta = (elapsed / done) * (ROUNDS - done);
  process.stderr.write(`\rround ${done}/${ROUNDS}  ${(done / elapsed).toFixed(2)} rounds/s  ETA ${eta.toFixed(0)} s   `);
}
process.stderr.write('\n');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const base = median(samples[names[0]]);
const rows = names.map((name) => {
  const med = median(samples[name]);
  const sorted = [...samples[name]].sort((a, b) => a - b);
  const q1 = sorted[Math.floor(sorted.length / 4)];
  const q3 = sorted[Math.floor((3 * sorted.length) / 4)];
  return { variant: name, ratio: med / base, ratioIqr: [q1 / base, q3 / base], usPerBatch: med / 1000 };
});

console.log(`@atkd/math bench: B=${B}, C=${C}, ${ROUNDS} interleaved rounds x ${MS} ms per variant, Node ${process.version}`);
console.log('ratio = median time per batch / median time of the exact softmax of the same batch (same run)');
for (const r of rows) {
  console.log(`${r.variant.padEnd(44)} ratio ${r.ratio.toFixed(2).padStart(6)}  (IQR ${r.ratioIqr[0].toFixed(2)}-${r.ratioIqr[1].toFixed(2)})  ${r.usPerBatch.toFixed(1)} us/batch`);
}
if (!Number.isFinite(sink)) throw new Error('benchmark produced a non-finite result');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const file = join(root, 'reports', 'bench', 'math.json');
mkdirSync(dirname(file), { recursive: true });
const tmp = `${file}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify({ rows: B, classes: C, rounds: ROUNDS, sliceMs: MS, node: process.version, results: rows }, null, 1)}\n`);
renameSync(tmp, file);
console.log(`written ${file}`);
