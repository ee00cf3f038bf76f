/**
 * `atkd verify`: the six properties of the math of adaptive-temperature KD (and DKD), checked with fast-check
 * (`fc.check`) over `@atkd/math`'s public API, with a chosen number of runs and seed, and a report.
 * The claims (and their derivations) are those of libs/math/README.md; the same properties run as
 * tests in libs/math/test. Here they are a product feature: run them at any scale, any seed.
 *
 *   1 radius       max-logit T keeps every |z'/T| <= sqrt(3) - 1, so u = x + x^2/2 stays in [-1, 1]; x beyond the radius gives u > 1
 *   2 taylor       Taylor soft targets are distributions; their L1 error is within the remainder bound 2R/Q <= eps_n (eps_n falling with n); order 8 within 1e-6
 *   3 correlation  |T^2 KL - (C-1)(1-rho)/C| <= K/T for T >= 2M, K = 2e M (C-1)(1-rho)/C; rho = 1 gives loss 0
 *   4 invariance   standardized loss and temperature unchanged by z -> a z + b (a > 0) on either row and by one class permutation of both; KL >= 0
 *   5 reference    agreement with a plain float64 reference written here (z-score, temperature, KD loss)
 *   6 dkd          DKD's terms are >= 0, 0 for identical rows, decompose KD (T^2 KL = TCKD + (1 - p_g) NCKD, each T^2), and keep the invariances
 */
import fc from 'fast-check';
import {
  CONVERGENCE_RADIUS,
  correlationLimit,
  dkdLossPerRow,
  kdLossPerRow,
  maxLogitTemperature,
  pearson,
  softmax,
  taylorSoftmax,
  taylorSoftmaxErrorBound,
  zscore,
} from '@atkd/math';
import { formatFlags, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { ProgressBar } from '@atkd/data';

const A = CONVERGENCE_RADIUS;
const SCALE = (1 + Math.sqrt(3)) / 2;

interface Batch {
  rows: number;
  classes: number;
  data: Float64Array;
}

/** B x C logits, offset + scale * u with a varied scale (1e-3 .. 100). */
function batchArb(maxRows = 4, maxClasses = 32): fc.Arbitrary<Batch> {
  return fc
    .record({ rows: fc.integer({ min: 1, max: maxRows }), classes: fc.integer({ min: 2, max: maxClasses }) })
    .chain(({ rows, classes }) =>
      fc.record({
        rows: fc.constant(rows),
        classes: fc.constant(classes),
        // u on a 1e-6 grid in [-1, 1]: no subnormal values, whose z-scores underflow
        u: fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }).map((v) => v / 1_000_000), { minLength: rows * classes, maxLength: rows * classes }),
        scale: fc.constantFrom(1e-3, 0.1, 1, 10, 100),
        offset: fc.double({ min: -50, max: 50, noNaN: true }),
      }),
    )
    .map(({ rows, classes, u, scale, offset }) => ({ rows, classes, data: Float64Array.from(u, (v) => offset + scale * v) }));
}

/** Teacher and student batches of one shape (student = alpha * teacher + noise). */
function pairArb(): fc.Arbitrary<{ rows: number; classes: number; teacher: Float64Array; student: Float64Array }> {
  return batchArb().chain((t) =>
    fc
      .record({
        alpha: fc.double({ min: -2, max: 2, noNaN: true }),
        noise: fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }).map((v) => v / 1_000_000), { minLength: t.data.length, maxLength: t.data.length }),
        noiseScale: fc.constantFrom(0, 1e-2, 1, 10),
      })
      .map(({ alpha, noise, noiseScale }) => ({ rows: t.rows, classes: t.classes, teacher: t.data, student: Float64Array.from(t.data, (v, i) => alpha * v + noiseScale * noise[i]) })),
  );
}

function fail(message: string): never {
  throw new Error(message);
}

function isConstant(x: Float64Array, classes: number, b: number): boolean {
  for (let c = 1; c < classes; c++) if (x[b * classes + c] !== x[b * classes]) return false;
  return true;
}

/**
 * True for a row whose spread is below 1e-6 of its magnitude (constant rows included): its z-scores carry
 * the cancellation error of (x - mean) at that scale, beyond the tolerances of the affine and reference
 * checks (the claims hold for the exact z-score).
 */
function spreadAtNoise(x: Float64Array, classes: number, b: number): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < classes; k++) {
    lo = Math.min(lo, x[b * classes + k]);
    hi = Math.max(hi, x[b * classes + k]);
  }
  return hi - lo <= 1e-6 * Math.max(Math.abs(hi), Math.abs(lo)) || hi - lo < 1e-100;
}

const u = (x: number) => x + (x * x) / 2;

/** Uniform bound of the L1 error of order-n Taylor soft targets inside the radius (libs/math/README.md, item 7). */
export function taylorEpsilon(n: number): number {
  let fact = 1;
  for (let k = 2; k <= n + 1; k++) fact *= k;
  return (2 * Math.exp(A) * A ** (n + 1)) / (fact * (2 - Math.sqrt(3)));
}

/** A plain float64 reference of the standardized, adaptive-temperature KD loss of one row pair. */
export function referenceRow(t: ArrayLike<number>, s: ArrayLike<number>, eps = 1e-7, paired = false): { T: number; loss: number } {
  const z = (x: ArrayLike<number>) => {
    const n = x.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i] / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    return Array.from({ length: n }, (_, i) => (x[i] - mean) / (sd + eps));
  };
  const zt = z(t);
  const zs = z(s);
  let m = Math.max(...zt.map(Math.abs));
  if (paired) m = Math.max(m, ...zs.map(Math.abs));
  let T = SCALE * m;
  if (!(T > 0) || !Number.isFinite(T) || T < 2.2250738585072014e-308) T = 1;
  const logSoftmax = (x: number[]) => {
    const mx = Math.max(...x.map((v) => v / T));
    const lse = mx + Math.log(x.reduce((acc, v) => acc + Math.exp(v / T - mx), 0));
    return x.map((v) => v / T - lse);
  };
  const lp = logSoftmax(zt);
  const lq = logSoftmax(zs);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
  return { T, loss: T * T * kl };
}

export interface PropertyDef {
  name: string;
  claim: string;
  property: () => fc.IProperty<[unknown, ...unknown[]]> | fc.IAsyncProperty<[unknown, ...unknown[]]>;
}

export const PROPERTIES: readonly PropertyDef[] = [
  {
    name: 'radius',
    claim: "max-logit T: |z'/T| <= sqrt(3)-1 (+1e-6) and |u| <= 1 (+1e-6) for every class (teacher-only and paired, float32 and float64); x > sqrt(3)-1 gives u > 1",
    property: () =>
      fc.property(pairArb(), fc.boolean(), fc.boolean(), fc.double({ min: A * (1 + 1e-12), max: 1e3, noNaN: true }), ({ rows, classes, teacher, student }, paired, f32, outside) => {
        const t = f32 ? Float32Array.from(teacher) : teacher;
        const s = f32 ? Float32Array.from(student) : student;
        const T = maxLogitTemperature(t, classes, paired ? { student: s } : {});
        for (const z of paired ? [zscore(t, classes), zscore(s, classes)] : [zscore(t, classes)]) {
          for (let b = 0; b < rows; b++) {
            for (let c = 0; c < classes; c++) {
              const x = z[b * classes + c] / T[b];
              if (Math.abs(x) > A + 1e-6) fail(`row ${b}, class ${c}: |z'/T| = ${Math.abs(x)} > sqrt(3)-1`);
              if (Math.abs(u(x)) > 1 + 1e-6) fail(`row ${b}, class ${c}: |u| = ${Math.abs(u(x))} > 1`);
            }
          }
        }
        if (!(u(outside) > 1)) fail(`x = ${outside} beyond the radius gives u = ${u(outside)} <= 1`);
      }),
  },
  {
    name: 'taylor',
    claim: 'inside the radius, Taylor soft targets of every order 1..16 are distributions (>= 0, sum 1 within 1e-6); L1 error <= 2R/Q <= eps_n, eps_n falling with n; order 8 within 1e-6 of softmax',
    property: () =>
      fc.property(batchArb(), fc.integer({ min: 1, max: 16 }), ({ rows, classes, data }, order) => {
        const z = zscore(data, classes);
        const T = maxLogitTemperature(data, classes);
        const p = softmax(z, classes, T);
        const q = taylorSoftmax(z, classes, T, order);
        const q8 = taylorSoftmax(z, classes, T, 8);
        const bound = taylorSoftmaxErrorBound(z, classes, T, order);
        if (!(taylorEpsilon(order + 1) < taylorEpsilon(order))) fail(`eps_${order + 1} >= eps_${order}`);
        for (let b = 0; b < rows; b++) {
          let sum = 0;
          let l1 = 0;
          for (let c = 0; c < classes; c++) {
            const i = b * classes + c;
            if (q[i] < 0) fail(`row ${b}, class ${c}: q = ${q[i]} < 0`);
            sum += q[i];
            l1 += Math.abs(q[i] - p[i]);
            if (Math.abs(q8[i] - p[i]) > 1e-6) fail(`order 8, row ${b}, class ${c}: |q - p| = ${Math.abs(q8[i] - p[i])} > 1e-6`);
          }
          if (Math.abs(sum - 1) > 1e-6) fail(`row ${b}: sum q = ${sum}`);
          if (l1 > bound[b] + 1e-12) fail(`row ${b}: L1 error ${l1} > bound 2R/Q = ${bound[b]}`);
          if (bound[b] > taylorEpsilon(order) * (1 + 1e-9)) fail(`row ${b}: bound ${bound[b]} > eps_${order} = ${taylorEpsilon(order)}`);
        }
      }),
  },
  {
    name: 'correlation',
    claim: "|T^2 KL - (C-1)(1-rho)/C| <= K/T for T = 2M..128M, K = 2e M (C-1)(1-rho)/C, M = max |z'|; s = a t + b (a > 0) gives rho = 1 and loss 0",
    property: () =>
      fc.property(pairArb(), fc.double({ min: 0.01, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), ({ rows, classes: C, teacher, student }, a, shift) => {
        const zt = zscore(teacher, C, 0);
        const zs = zscore(student, C, 0);
        const L = correlationLimit(student, teacher, C);
        for (let b = 0; b < rows; b++) {
          if (isConstant(teacher, C, b) || isConstant(student, C, b)) continue;
          let M = 0;
          for (let c = 0; c < C; c++) M = Math.max(M, Math.abs(zt[b * C + c]), Math.abs(zs[b * C + c]));
          const K = 2 * Math.E * M * L[b];
          const t1 = zt.slice(b * C, (b + 1) * C);
          const s1 = zs.slice(b * C, (b + 1) * C);
          for (let k = 0; k <= 6; k++) {
            const T = 2 * M * 2 ** k;
            const loss = kdLossPerRow(s1, t1, C, { temperature: T, standardize: false })[0];
            const tol = 1e-14 * T * T * (1 + M) + 1e-12 * (1 + L[b]);
            if (Math.abs(loss - L[b]) > K / T + tol) fail(`row ${b}, T = ${T}: gap ${Math.abs(loss - L[b])} > K/T = ${K / T}`);
          }
        }
        const aligned = teacher.map((v) => a * v + shift);
        const rho = pearson(aligned, teacher, C);
        const loss = kdLossPerRow(aligned, teacher, C, { temperature: 'adaptive', eps: 0 });
        for (let b = 0; b < rows; b++) {
          if (spreadAtNoise(teacher, C, b) || spreadAtNoise(aligned, C, b)) continue;
          if (Math.abs(rho[b] - 1) > 1e-9) fail(`row ${b}: rho of an affine copy is ${rho[b]}`);
          if (Math.abs(loss[b]) > 1e-6) fail(`row ${b}: loss of an affine copy is ${loss[b]}`);
        }
      }),
  },
  {
    name: 'invariance',
    claim: 'standardized adaptive loss and temperature unchanged (1e-6 rel.) by z -> a z + b (a > 0) on either row and by one class permutation of both; KL >= 0',
    property: () =>
      fc.property(
        pairArb(),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        ({ rows, classes: C, teacher, student }, a, b0, c, d, permSeed) => {
          // eps = 0: the invariance is exact for the pure z-score (eps breaks scale invariance on rows whose std is near eps)
          const base = kdLossPerRow(student, teacher, C, { temperature: 'adaptive', eps: 0 });
          const baseT = maxLogitTemperature(teacher, C, { eps: 0 });
          const t2 = teacher.map((v) => a * v + b0);
          const s2 = student.map((v) => c * v + d);
          const perm = Array.from({ length: C }, (_, i) => i);
          let r = permSeed;
          for (let i = C - 1; i > 0; i--) {
            r = (r * 1103515245 + 12345) % 2 ** 31;
            const j = r % (i + 1);
            [perm[i], perm[j]] = [perm[j], perm[i]];
          }
          const permute = (x: Float64Array) => x.map((_, i) => x[Math.floor(i / C) * C + perm[i % C]]);
          const variants: Array<[string, Float64Array, Float64Array]> = [
            ['affine teacher', student, t2],
            ['affine student', s2, teacher],
            ['permutation', permute(student), permute(teacher)],
          ];
          for (let b = 0; b < rows; b++) if (base[b] < -1e-12) fail(`row ${b}: KL = ${base[b]} < 0`);
          for (const [what, s, t] of variants) {
            const loss = kdLossPerRow(s, t, C, { temperature: 'adaptive', eps: 0 });
            const T = maxLogitTemperature(t, C, { eps: 0 });
            for (let b = 0; b < rows; b++) {
              if (spreadAtNoise(teacher, C, b) || spreadAtNoise(student, C, b) || spreadAtNoise(t, C, b) || spreadAtNoise(s, C, b)) continue;
              if (Math.abs(loss[b] - base[b]) > 1e-6 * Math.max(1, Math.abs(base[b]))) fail(`${what}, row ${b}: loss ${loss[b]} vs ${base[b]}`);
              if (Math.abs(T[b] - baseT[b]) > 1e-6 * Math.max(1, baseT[b])) fail(`${what}, row ${b}: T ${T[b]} vs ${baseT[b]}`);
            }
          }
        },
      ),
  },
  {
    name: 'reference',
    claim: 'z-score, max-logit temperature and KD loss (teacher-only and paired) agree with a plain float64 reference written here (1e-9 rel.)',
    property: () =>
      fc.property(pairArb(), fc.boolean(), ({ rows, classes: C, teacher, student }, paired) => {
        const temps = new Float64Array(rows);
        const loss = kdLossPerRow(student, teacher, C, { temperature: paired ? 'adaptive-paired' : 'adaptive-teacher', temperaturesOut: temps });
        for (let b = 0; b < rows; b++) {
          if (spreadAtNoise(teacher, C, b) || spreadAtNoise(student, C, b)) continue;
          const ref = referenceRow(teacher.subarray(b * C, (b + 1) * C), student.subarray(b * C, (b + 1) * C), 1e-7, paired);
          if (Math.abs(temps[b] - ref.T) > 1e-9 * Math.max(1, ref.T)) fail(`row ${b}: T ${temps[b]} vs reference ${ref.T}`);
          if (Math.abs(loss[b] - ref.loss) > 1e-9 * Math.max(1, Math.abs(ref.loss))) fail(`row ${b}: loss ${loss[b]} vs reference ${ref.loss}`);
        }
      }),
  },
  {
    name: 'dkd',
    claim: 'DKD (dkdLossPerRow): T^2 TCKD, T^2 NCKD >= 0; 0 for identical rows; T^2 KL = T^2 TCKD + (1 - p_g) T^2 NCKD (1e-7 rel.); unchanged (1e-6) by z -> a z + b and a class permutation of both rows and the label',
    property: () =>
      fc.property(pairArb(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), ({ rows, classes: C, teacher, student }, labelSeed, a, b0) => {
        const labels = Array.from({ length: rows }, (_, b) => (labelSeed + 7919 * b) % C);
        for (const temperature of ['adaptive', 'adaptive-teacher', 4] as const) {
          const temps = new Float64Array(rows);
          const tckd = new Float64Array(rows);
          const nckd = new Float64Array(rows);
          dkdLossPerRow(student, teacher, labels, C, { temperature, temperaturesOut: temps, tckdOut: tckd, nckdOut: nckd, eps: 0 });
          const same = dkdLossPerRow(teacher, teacher, labels, C, { temperature });
          const kd = kdLossPerRow(student, teacher, C, { temperature, eps: 0 });
          const p = softmax(zscore(teacher, C, 0), C, temps);
          const s2 = student.map((v) => a * v + b0);
          const t2 = teacher.map((v) => a * v - b0);
          const moved = dkdLossPerRow(s2, t2, labels, C, { temperature, eps: 0 });
          const shift = (labelSeed % (C - 1)) + 1;
          const permute = (x: Float64Array) => x.map((_, i) => x[Math.floor(i / C) * C + ((i % C) + C - shift) % C]);
          const permuted = dkdLossPerRow(permute(student), permute(teacher), labels.map((g) => (g + shift) % C), C, { temperature, eps: 0 });
          for (let b = 0; b < rows; b++) {
            const label = `row ${b} (${String(temperature)})`;
            if (!(tckd[b] >= 0 && nckd[b] >= 0)) fail(`${label}: T^2 TCKD ${tckd[b]}, T^2 NCKD ${nckd[b]}`);
            if (same[b] !== 0) fail(`${label}: identical rows give ${same[b]}`);
            if (spreadAtNoise(teacher, C, b) || spreadAtNoise(student, C, b) || spreadAtNoise(t2, C, b) || spreadAtNoise(s2, C, b)) continue;
            const rhs = tckd[b] + (1 - p[b * C + labels[b]]) * nckd[b];
            if (Math.abs(kd[b] - rhs) > 1e-7 * Math.max(1, kd[b]) + 1e-10 * (1 + temps[b] ** 2)) fail(`${label}: T^2 KL ${kd[b]} vs T^2 TCKD + (1 - p_g) T^2 NCKD ${rhs}`);
            const base = tckd[b] + 8 * nckd[b];
            if (Math.abs(moved[b] - base) > 1e-6 * Math.max(1, base)) fail(`${label}: affine ${moved[b]} vs ${base}`);
            if (Math.abs(permuted[b] - base) > 1e-6 * Math.max(1, base)) fail(`${label}: permutation ${permuted[b]} vs ${base}`);
          }
        }
      }),
  },
];

export interface PropertyResult {
  name: string;
  claim: string;
  seed: number;
  runs: number;
  passed: boolean;
  ms: number;
  /** fast-check's counterexample and error, when it failed. */
  counterexample?: string;
  error?: string;
  /** Reproduces the failure with fast-check: `{ seed, path }`. */
  path?: string;
}

/** Checks one property with `runs` runs from `seed` (fast-check `fc.check`, which does not throw). */
export function checkProperty(def: PropertyDef, seed: number, runs: number): PropertyResult {
  const started = performance.now();
  const details = fc.check(def.property() as fc.IProperty<[unknown, ...unknown[]]>, { seed, numRuns: runs }) as fc.RunDetails<[unknown, ...unknown[]]>;
  const ms = performance.now() - started;
  const result: PropertyResult = { name: def.name, claim: def.claim, seed, runs: details.numRuns, passed: !details.failed, ms };
  if (details.failed) {
    result.counterexample = fc.stringify(details.counterexample);
    const err = details.errorInstance;
    result.error = err instanceof Error ? err.message : String(err);
    result.path = details.counterexamplePath ?? undefined;
  }
  return result;
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  runs: { description: 'runs per property (default 200)', placeholder: 'N' },
  seed: { description: 'seed (default 20250312); property i uses seed + i', placeholder: 'N' },
  property: { description: `only these properties, comma-separated (${PROPERTIES.map((p) => p.name).join(', ')})`, placeholder: 'NAMES' },
  json: { value: false, description: 'print the report as JSON on stdout' },
  quiet: { short: 'q', value: false, description: 'no progress on stderr' },
  help: { short: 'h', value: false, description: 'show this help' },
};

export const DEFAULT_SEED = 20250312;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check the math properties (radius, Taylor, correlation limit, invariances, reference) with fast-check',
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS, 'atkd verify');
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd verify [--runs N] [--seed N] [--property NAMES] [--json]\n\nProperty-based verification of @atkd/math (fast-check). Properties:\n${PROPERTIES.map((p, i) => `  ${i + 1} ${p.name.padEnd(12)} ${p.claim}`).join('\n')}\n\nFlags:\n${formatFlags(FLAGS)}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`atkd verify: unexpected argument ${JSON.stringify(args.positionals[0])}`);
    const runs = intFlag(args, 'runs', 'atkd verify', 1, 10_000_000) ?? 200;
    const seed = intFlag(args, 'seed', 'atkd verify', 0, 2 ** 31 - 1 - PROPERTIES.length) ?? DEFAULT_SEED;
    const only = stringFlag(args, 'property');
    let selected = PROPERTIES.map((p, i) => ({ p, i }));
    if (only !== undefined) {
      const names = only.split(',').map((s) => s.trim());
      for (const n of names) if (!PROPERTIES.some((p) => p.name === n)) throw new UsageError(`atkd verify: flag --property: unknown property "${n}" (known: ${PROPERTIES.map((p) => p.name).join(', ')})`);
      selected = selected.filter(({ p }) => names.includes(p.name));
    }
    const json = args.flags.has('json');
    const bar = new ProgressBar('verify', selected.length, { quiet: json || args.flags.has('quiet'), stream: io.stderr as NodeJS.WritableStream, unit: 'properties', rateUnit: 'runs/s' });
    const results: PropertyResult[] = [];
    for (const { p, i } of selected) {
      results.push(checkProperty(p, seed + i, runs));
      bar.update(results.length, { work: results.reduce((s, r) => s + r.runs, 0), extra: p.name });
      await new Promise<void>((r) => setImmediate(r));
    }
    bar.finish();
    const failed = results.filter((r) => !r.passed).length;
    if (json) io.stdout.write(`${JSON.stringify({ seed, runs, passed: results.length - failed, failed, results })}\n`);
    else {
      const lines = results.map((r) => `${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(12)} ${String(r.runs).padStart(7)} runs  seed ${r.seed}  ${(r.ms / 1000).toFixed(2)} s\n      ${r.claim}${r.passed ? '' : `\n      counterexample: ${r.counterexample}\n      error: ${r.error}\n      reproduce: atkd verify --property ${r.name} --seed ${seed} --runs ${runs}  (fast-check path ${r.path})`}`);
      io.stdout.write(`${lines.join('\n')}\n${results.length - failed} passed, ${failed} failed (${runs} runs each, seed ${seed})\n`);
    }
    return failed === 0 ? 0 : 1;
  },
};
