// `atkd report --html` in a real headless Chromium: a tiny distillation (the embedded teacher and sample)
// and a tiny supervised run; the page of one run and the page of both side by side render every plot
// (non-empty SVG), show the summary, config and accuracies, make no request at all beyond the file
// itself, and log no error. Screenshots go to reports/browser/.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocal, launchChromium, screenshot, watchedPage } from './browser.js';
import { TINY, atkd, atkdInProcess } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-report-'));
const distilled = join(work, 'distill');
const trained = join(work, 'train');
let browser: Browser;

beforeAll(async () => {
  const launched = launchChromium();
  const d = atkd(['distill', '--epochs', '2', '--no-plots', '--out', distilled, ...TINY]);
  expect(d.code, d.stderr).toBe(0);
  const t = atkd(['train', '--student', 'resnet8', '--epochs', '1', '--no-plots', '--out', trained, ...TINY]);
  expect(t.code, t.stderr).toBe(0);
  browser = await launched;
});

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

type ReportWindow = { atkdReport: { rendered: Promise<Array<{ run: number; plot: string; ok: boolean; error?: string }>> } };

/** Opens a report page; resolves to what rendered, the SVGs' sizes and mark counts, and the page's requests and errors. */
async function open(path: string, shot: string) {
  const { page, requests, errors } = await watchedPage(browser, { width: 1400, height: 900 });
  try {
    await page.goto(pathToFileURL(path).href);
    const rendered = await page.evaluate(() => (globalThis as unknown as ReportWindow).atkdReport.rendered);
    const svgs = await page.$$eval('.vega svg.marks', (nodes) =>
      nodes.map((n) => ({
        plot: (n.closest('.vega') as unknown as { dataset: Record<string, string> }).dataset.plot,
        width: n.getBoundingClientRect().width,
        height: n.getBoundingClientRect().height,
        marks: n.querySelectorAll('path[d]:not([d=""]), rect').length,
      })),
    );
    const text = (await page.textContent('#report')) ?? '';
    const missing = await page.locator('.missing').allTextContents();
    await screenshot(page, shot);
    return { rendered, svgs, text, missing, requests, errors };
  } finally {
    await page.close();
  }
}

describe('atkd report --html', () => {
  it('one run: a self-contained page with summary, accuracies, config and every plot rendered; the SVGs are still written', async () => {
    const r = atkd(['report', distilled, '--html', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { plots: string[]; html: string };
    expect(out.html).toBe(join(distilled, 'plots', 'report.html'));
    for (const f of ['figure1', 'temperature', 'accuracy', 'loss']) expect(existsSync(join(distilled, 'plots', `${f}.svg`)), f).toBe(true);
    const html = readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)/); // nothing loaded from elsewhere
    const page = await open(out.html, 'report-one-run');
    expect(page.rendered.map((p) => `${p.plot}:${p.ok}`)).toEqual(['figure1:true', 'temperature:true', 'accuracy:true', 'loss:true']);
    expect(page.svgs.map((s) => s.plot)).toEqual(['figure1', 'temperature', 'accuracy', 'loss']);
    for (const s of page.svgs) {
      expect(s.width, s.plot).toBeGreaterThan(200);
      expect(s.height, s.plot).toBeGreaterThan(100);
      expect(s.marks, s.plot).toBeGreaterThan(5);
    }
    const summary = JSON.parse(readFileSync(join(distilled, 'summary.json'), 'utf8')) as { teacher: { top1: number }; student: { top1: number } };
    expect(page.text).toContain(`teacher resnet20top-1 ${(100 * summary.teacher.top1).toFixed(2)}%`);
    expect(page.text).toContain(`student resnet8top-1 ${(100 * summary.student.top1).toFixed(2)}%`);
    expect(page.text).toMatch(/temperaturemean \d+\.\d{3}/);
    expect(page.text).toMatch(/statuscompleted: 2 \/ 2 epochs, 4 steps/);
    expect(page.text).toMatch(/configuration.*strategy.*adaptive/s);
    expect(page.missing).toEqual([]);
    expect(page.errors).toEqual([]);
    expect(page.requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
  });

  it('several runs side by side: one column each; a plot a run lacks says so', async () => {
    const dir = join(work, 'both');
    const r = atkd(['report', distilled, trained, '--html', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, 'report.html')}`);
    expect(existsSync(join(trained, 'plots', 'accuracy.svg'))).toBe(true);
    const page = await open(join(dir, 'report.html'), 'report-two-runs');
    expect(page.rendered.filter((p) => p.ok)).toHaveLength(6);
    expect(page.rendered.filter((p) => p.run === 1).map((p) => p.plot)).toEqual(['accuracy', 'loss']);
    expect(page.svgs).toHaveLength(6);
    for (const s of page.svgs) expect(s.marks, s.plot).toBeGreaterThan(5);
    expect(page.missing).toEqual(['no figure1 plot for this run', 'no temperature plot for this run']);
    expect(page.text).toMatch(/distill resnet8 \(adaptive\).*train resnet8/s);
    expect(page.errors).toEqual([]);
    expect(page.requests.filter((u) => !isLocal(u))).toEqual([]);
  });

  it('bad input: several runs need --html and --out', async () => {
    expect(await atkdInProcess(['report', distilled, trained])).toMatchObject({ code: 2, stderr: expect.stringMatching(/several run directories go with --html/) });
    expect(await atkdInProcess(['report', distilled, trained, '--html'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/say where the page goes with --out DIR/) });
  });
});
