/**
 * Plots of a run directory, as Vega-Lite specs compiled with `vega-lite` and rendered headless to SVG
 * by `vega` (`View.toSVG()`, no canvas needed):
 *
 *   figure1.svg      KD loss and teacher/student logit correlation per epoch (the paper's Figure 1)
 *   temperature.svg  distribution of the per-sample temperatures (last epoch) and min/mean/max per epoch
 *   accuracy.svg     train accuracy, test top-1 and top-5 per epoch
 *   loss.svg         training loss per step
 *
 * Each spec is also written next to its SVG (`*.vl.json`) so it can be opened in the Vega editor.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochRecord, MetricRecord, StepRecord } from '@atkd/runner';
import { writeFileAtomicSync } from '@atkd/fs';

export interface Plot {
  name: string;
  spec: TopLevelSpec;
}

const WIDTH = 420;
/** Most points of a per-step series in a plot. */
const MAX_STEP_POINTS = 1500;
const HEIGHT = 220;

/** The plots the records allow (a supervised run has no KD loss or temperatures). */
export function plotSpecs(records: readonly MetricRecord[], title: string): Plot[] {
  const epochs = records.filter((r): r is EpochRecord => r.type === 'epoch');
  const steps = records.filter((r): r is StepRecord => r.type === 'step');
  const plots: Plot[] = [];
  const ep = (r: EpochRecord) => r.epoch + 1;

  const kd = epochs.filter((r) => r.train_kd !== undefined && r.train_rho !== undefined);
  if (kd.length > 0) {
    plots.push({
      name: 'figure1',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: 'KD loss and teacher/student correlation per epoch', subtitle: title },
        width: WIDTH,
        height: HEIGHT,
        data: { values: kd.map((r) => ({ epoch: ep(r), kd: r.train_kd, rho: r.train_rho })) },
        encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } } },
        layer: [
          {
            // the point markers take the line's colour explicitly (they were the default blue)
            mark: { type: 'line', color: '#d62728', point: { color: '#d62728', filled: true } },
            encoding: { y: { field: 'kd', type: 'quantitative', title: 'KD loss (mean T² KL)', axis: { titleColor: '#d62728' } } },
          },
          {
            mark: { type: 'line', color: '#1f77b4', strokeDash: [4, 2], point: { color: '#1f77b4', filled: true } },
            encoding: { y: { field: 'rho', type: 'quantitative', title: 'Pearson ρ(teacher, student logits)', axis: { titleColor: '#1f77b4' } } },
          },
        ],
        resolve: { scale: { y: 'independent' } },
      } as TopLevelSpec,
    });
  }

  const withHist = epochs.filter((r) => r.t_hist !== undefined);
  if (withHist.length > 0) {
    const last = withHist[withHist.length - 1];
    const h = last.t_hist as { edges: number[]; counts: number[] };
    const bins = h.counts.map((count, i) => ({ start: h.edges[i], end: h.edges[i + 1], count }));
    const perEpoch = epochs.filter((r) => r.t_mean !== undefined).map((r) => ({ epoch: ep(r), min: r.t_min, mean: r.t_mean, max: r.t_max }));
    plots.push({
      name: 'temperature',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: 'Per-sample temperatures', subtitle: title },
        vconcat: [
          {
            title: `distribution, epoch ${ep(last)} (${h.counts.reduce((a, b) => a + b, 0)} samples)`,
            width: WIDTH,
            height: HEIGHT,
            data: { values: bins },
            mark: { type: 'bar', color: '#2ca02c' },
            encoding: {
              x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: 'temperature T' },
              x2: { field: 'end' },
              y: { field: 'count', type: 'quantitative', title: 'samples' },
            },
          },
          {
            title: 'min / mean / max per epoch',
            width: WIDTH,
            height: HEIGHT / 1.5,
            data: { values: perEpoch },
            encoding: { x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } } },
            layer: [
              { mark: { type: 'area', opacity: 0.25, color: '#2ca02c' }, encoding: { y: { field: 'min', type: 'quantitative', title: 'T' }, y2: { field: 'max' } } },
              { mark: { type: 'line', point: true, color: '#2ca02c' }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
            ],
          },
        ],
      } as TopLevelSpec,
    });
  }

  if (epochs.length > 0) {
    const values = epochs.flatMap((r) => [
      { epoch: ep(r), series: 'train (top-1, augmented)', accuracy: 100 * r.train_acc },
      { epoch: ep(r), series: 'test top-1', accuracy: 100 * r.test_top1 },
      { epoch: ep(r), series: 'test top-5', accuracy: 100 * r.test_top5 },
    ]);
    plots.push({
      name: 'accuracy',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: 'Accuracy per epoch', subtitle: title },
        width: WIDTH,
        height: HEIGHT,
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)' },
          // below the plot, labels whole (on the right the longest label was cut off)
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 0, columns: 3 } },
        },
      } as TopLevelSpec,
    });
  }

  if (steps.length > 0) {
    // at most MAX_STEP_POINTS points per series: long runs are averaged over groups of consecutive steps
    const group = Math.ceil(steps.length / MAX_STEP_POINTS);
    const points: StepRecord[] = [];
    for (let i = 0; i < steps.length; i += group) {
      const part = steps.slice(i, i + group);
      const mean = (f: (r: StepRecord) => number) => part.reduce((a, r) => a + f(r), 0) / part.length;
      points.push({ ...part[0], step: part[part.length - 1].step, loss: mean((r) => r.loss), ce: mean((r) => r.ce), ...(part[0].kd !== undefined ? { kd: mean((r) => r.kd as number) } : {}) });
    }
    const values = points.flatMap((r) => [
      { step: r.step, part: 'total', loss: r.loss },
      { step: r.step, part: 'cross-entropy', loss: r.ce },
      ...(r.kd !== undefined ? [{ step: r.step, part: 'KD (T² KL)', loss: r.kd }] : []),
    ]);
    plots.push({
      name: 'loss',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: group > 1 ? `Training loss per step (mean of ${group} steps)` : 'Training loss per step', subtitle: title },
        width: WIDTH,
        height: HEIGHT,
        data: { values },
        // a line through one point draws nothing: show the points of a short run
        mark: { type: 'line', strokeWidth: 1, point: points.length < 50 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative' },
          color: { field: 'part', type: 'nominal', title: null },
        },
      } as TopLevelSpec,
    });
  }
  return plots;
}

/** Renders a Vega-Lite spec to an SVG string (headless). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders every plot of `records` into `dir` (SVG + spec); returns the SVG paths. */
export async function writePlots(records: readonly MetricRecord[], dir: string, title: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const p of plotSpecs(records, title)) {
    const svg = await renderSvg(p.spec);
    const path = join(dir, `${p.name}.svg`);
    writeFileAtomicSync(join(dir, `${p.name}.vl.json`), `${JSON.stringify(p.spec, null, 2)}\n`);
    writeFileAtomicSync(path, svg);
    written.push(path);
  }
  return written;
}
