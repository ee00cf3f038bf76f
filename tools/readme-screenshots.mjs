#!/usr/bin/env node
// Regenerates the README's screenshots (docs/export-page.png, docs/report-page.png) in headless Chromium:
// the export page of the embedded resnet20 teacher (a trained CIFAR-100 model, so the top-5 lists mean
// something) classifying three test images of the embedded sample, and the report page of a short
// distillation on the sample. Needs a build (npm run build) and /usr/bin/chromium (or ATKD_CHROMIUM).
//   node tools/readme-screenshots.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CifarArrowFile, IMAGE_BYTES, sampleDataDir } from '@atkd/data';
import { chwToRgb, encodePng, serveDirectory } from '@atkd/web';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'atkd-shots-'));
const atkd = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`atkd ${args.join(' ')}: ${r.stderr}`);
};
mkdirSync(join(root, 'docs'), { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.ATKD_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  // the export page
  const web = join(work, 'web');
  atkd(['export', join(root, 'apps', 'cli', 'assets', 'teacher-resnet20.pth'), '--arch', 'resnet20', '--to', web]);
  const f = await CifarArrowFile.open(join(sampleDataDir(), 'test.arrow'));
  const rows = [3, 28, 61];
  const images = new Uint8Array(rows.length * IMAGE_BYTES);
  await f.readImages(rows, images);
  const files = rows.map((r, i) => {
    const path = join(work, `${f.meta.fineLabelNames[f.fine[r]]}.png`);
    writeFileSync(path, encodePng(chwToRgb(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)), 32, 32));
    return path;
  });
  await f.close();
  const server = await serveDirectory(web);
  const page = await browser.newPage({ viewport: { width: 760, height: 560 } });
  await page.goto(`${server.url}?backend=wasm`);
  await page.evaluate(() => globalThis.atkdPage.ready);
  await page.setInputFiles('#pick', files.reverse());
  await page.waitForFunction((n) => globalThis.atkdPage.results.length >= n, rows.length);
  await page.screenshot({ path: join(root, 'docs', 'export-page.png'), fullPage: true });
  await page.close();
  await server.close();
  // the report page
  const run = join(work, 'run');
  atkd(['distill', '--epochs', '4', '--batch-size', '32', '--steps-per-epoch', '6', '--test-limit', '200', '--quiet', '--no-plots', '--out', run]);
  atkd(['report', run, '--html']);
  const report = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await report.goto(pathToFileURL(join(run, 'plots', 'report.html')).href);
  await report.evaluate(() => globalThis.atkdReport.rendered);
  await report.screenshot({ path: join(root, 'docs', 'report-page.png'), fullPage: false });
  await report.close();
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
console.log('wrote docs/export-page.png, docs/report-page.png');
