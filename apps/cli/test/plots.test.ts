// The run plots, rendered to SVG: what a reader sees.
import { describe, expect, it } from 'vitest';
import { plotSpecs, renderSvg } from '../src/lib/plots.js';
import type { EpochRecord, MetricRecord, StepRecord } from '@atkd/runner';

const epoch = (e: number): EpochRecord => ({
  type: 'epoch', epoch: e, step: 10 * (e + 1), lr: 0.05, train_loss: 3 - e / 10, train_ce: 4, train_kd: 0.9 - e / 20, train_rho: 0.2 + e / 20, train_acc: 0.1 + e / 50,
  t_min: 2, t_mean: 3, t_max: 5, test_top1: 0.1 + e / 40, test_top5: 0.3 + e / 30, test_loss: 3, img_s: 100, seconds: 5,
});
const step = (s: number): StepRecord => ({ type: 'step', epoch: 0, index: s, step: s, size: 16, lr: 0.05, loss: 5 - s / 10, ce: 4.6, kd: 0.5, acc: 0.05, img_s: 50 });
const svgOf = async (records: MetricRecord[], name: string) => renderSvg(plotSpecs(records, 'test run').find((p) => p.name === name)!.spec);

describe('run plots', () => {
  it('figure1: each series\' point markers have the colour of its line (were the default blue)', async () => {
    const svg = await svgOf([0, 1, 2].map(epoch), 'figure1');
    const fills = [...svg.matchAll(/aria-label="epoch: \d+; ([^:]+): [^"]*" role="graphics-symbol" aria-roledescription="point"[^>]* fill="(#[0-9a-f]{6})"/g)].map((m) => [m[1], m[2]]);
    expect(fills.length).toBe(6); // 3 epochs x 2 series
    for (const [series, fill] of fills) expect(fill, series).toBe(series.startsWith('KD') ? '#d62728' : '#1f77b4');
  });

  it('accuracy: the legend shows its labels whole (was: cut off)', async () => {
    const svg = await svgOf([0, 1].map(epoch), 'accuracy');
    expect(svg).toContain('train (top-1, augmented)');
    expect(svg).not.toContain('…');
  });

  it('loss: a 1-step run draws its point (was: an empty plot)', async () => {
    const svg = await svgOf([step(1)], 'loss');
    // a line through one point draws nothing (d="M210,0Z"); each of the three series needs its point
    expect([...svg.matchAll(/aria-roledescription="point"/g)].length).toBe(3); // total, cross-entropy, KD
    expect(await svgOf([1, 2, 3].map(step), 'loss')).toMatch(/aria-roledescription="line mark" d="M[\d.]+,[\d.]+L/);
  });
});
