// Golden vectors of DKD and MLKD computed with PyTorch the way the authors' code does
// (tools/dkd-mlkd-golden.py, run with /usr/bin/python3), compared at 1e-5 relative.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dkdLoss, dkdLossPerRow, mlkdLoss, type KdTemperature } from '../src/index.js';

interface DkdGolden { temperature: number[]; tckd: number[]; nckd: number[]; loss: number }
interface MlkdGolden { kdWeak: number; kdStrong: number; cc: number; bc: number; total: number; instanceMask: number[]; classMask: number[] }
interface GoldenCase {
  name: string;
  rows: number;
  classes: number;
  labels: number[];
  weakStudent: number[];
  weakTeacher: number[];
  strongStudent: number[];
  strongTeacher: number[];
  dkd: Record<string, DkdGolden>;
  mlkd: Record<string, MlkdGolden>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden-dkd-mlkd.json', import.meta.url), 'utf8')) as { cases: GoldenCase[]; torch: string };
const REL = 1e-5;
/** Absolute floor: rows that agree give losses of float64 rounding size on both sides. */
const FLOOR = 1e-12;

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = REL * Math.abs(expected[i]) + FLOOR;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) throw new Error(`${what}[${i}]: got ${actual[i]}, golden ${expected[i]} (relative tolerance ${REL})`);
  }
}

const MODES: Record<string, { temperature: KdTemperature; standardize: boolean }> = {
  'raw-fixed4': { temperature: 4, standardize: false },
  'std-fixed2': { temperature: 2, standardize: true },
  'std-paired': { temperature: 'adaptive', standardize: true },
  'std-teacher': { temperature: 'adaptive-teacher', standardize: true },
};

describe(`DKD / MLKD golden vectors (PyTorch ${golden.torch}, tools/dkd-mlkd-golden.py)`, () => {
  it('has cases whose terms are well above the rounding floor', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(4);
    const big = golden.cases.flatMap((g) => Object.values(g.dkd).flatMap((d) => [...d.tckd, ...d.nckd])).filter((v) => v > 1e-4);
    expect(big.length).toBeGreaterThan(100);
    for (const g of golden.cases) for (const m of Object.values(g.mlkd)) expect(m.kdWeak).toBeGreaterThan(1e-4);
  });
  for (const g of golden.cases) {
    for (const kind of ['Float64Array', 'Float32Array'] as const) {
      it(`${g.name} (${g.rows} x ${g.classes}, ${kind})`, () => {
        const make = (x: number[]) => (kind === 'Float64Array' ? Float64Array.from(x) : Float32Array.from(x));
        const C = g.classes;
        const ws = make(g.weakStudent);
        const wt = make(g.weakTeacher);
        const weak = { student: ws, teacher: wt };
        const strong = { student: make(g.strongStudent), teacher: make(g.strongTeacher) };
        for (const [mode, options] of Object.entries(MODES)) {
          const gd = g.dkd[mode];
          const temps = new Float64Array(g.rows);
          const tckd = new Float64Array(g.rows);
          const nckd = new Float64Array(g.rows);
          const per = dkdLossPerRow(ws, wt, g.labels, C, { ...options, temperaturesOut: temps, tckdOut: tckd, nckdOut: nckd });
          expectClose(temps, gd.temperature, `dkd ${mode} temperature`);
          expectClose(tckd, gd.tckd, `dkd ${mode} T^2 TCKD`);
          expectClose(nckd, gd.nckd, `dkd ${mode} T^2 NCKD`);
          expectClose(per, gd.tckd.map((v, i) => v + 8 * gd.nckd[i]), `dkd ${mode} per row`);
          expectClose([dkdLoss(ws, wt, g.labels, C, options)], [gd.loss], `dkd ${mode} loss`);
          const gm = g.mlkd[mode];
          const m = mlkdLoss(weak, strong, C, { temperature: options.temperature as number | 'adaptive' | 'adaptive-teacher', standardize: options.standardize });
          expect(Array.from(m.masks.instance), `mlkd ${mode} instance mask`).toEqual(gm.instanceMask);
          expect(Array.from(m.masks.classes), `mlkd ${mode} class mask`).toEqual(gm.classMask);
          for (const k of ['kdWeak', 'kdStrong', 'cc', 'bc', 'total'] as const) expectClose([m[k]], [gm[k]], `mlkd ${mode} ${k}`);
        }
      });
    }
  }
});
