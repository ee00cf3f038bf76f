// `atkd export` in a real headless Chromium: for a resnet8 and a ShuffleV2 student (custom layers), random
// init saved through the normal checkpoint path, the exported page's logits for eight test images of the
// embedded sample (picked through the page's file input, as PNGs) equal Node's within 1e-5 on the browser's
// cpu backend and within 1e-3 on wasm (and on webgl for ShuffleV2, where this Chromium has it); a dropped
// image gets a top-5 list; the page requests nothing off localhost. Screenshots go to reports/browser/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@atkd/backend';
import { CifarArrowFile, IMAGE_BYTES, sampleDataDir, toNormalizedNHWC } from '@atkd/data';
import { loadModel } from '@atkd/models';
import { seededModel, writeCheckpoint } from '@atkd/runner';
import { WEB_MANIFEST, chwToRgb, encodePng, serveDirectory, type StaticServer, type WebManifest } from '@atkd/web';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, isLocal, launchChromium, screenshot, watchedPage } from './browser.js';
import { MAIN, atkd, atkdInProcess } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-export-'));
const N = 8;
let browser: Browser;
let images: Uint8Array;
let labels: string[];
const pngs: string[] = [];
/** Measured max |browser - node| per student and backend, kept as an artifact (reports/browser/export-diffs.json). */
const diffs: Record<string, number> = {};

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
  browser = await launchChromium();
  const f = await CifarArrowFile.open(join(sampleDataDir(), 'test.arrow'));
  try {
    const rows = Array.from({ length: N }, (_, i) => i * 7);
    images = new Uint8Array(N * IMAGE_BYTES);
    await f.readImages(rows, images);
    labels = rows.map((r) => f.meta.fineLabelNames[f.fine[r]]);
  } finally {
    await f.close();
  }
  for (let i = 0; i < N; i++) {
    const path = join(work, `test-${i}-${labels[i]}.png`);
    writeFileSync(path, encodePng(chwToRgb(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)), 32, 32));
    pngs.push(path);
  }
});

afterAll(async () => {
  await browser?.close();
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'export-diffs.json'), `${JSON.stringify(diffs, null, 2)}\n`);
  rmSync(work, { recursive: true, force: true });
});

/** A checkpoint of a random-init student, written the way a run writes one. */
async function studentCheckpoint(name: string): Promise<string> {
  const model = seededModel(name, 11);
  // a random init can have vanishing outputs (ShuffleV2's logits are ~1e-5, which would make a 1e-5
  // comparison vacuous): random batch-norm scales, shifts and statistics make every layer's output O(1)
  tf.tidy(() => {
    model.weights.forEach((w, i) => {
      if (/gamma|moving_variance/.test(w.originalName)) w.write(tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', 100 + i));
      else if (/beta|moving_mean/.test(w.originalName)) w.write(tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 100 + i));
    });
  });
  try {
    const state = { student: name, next: { epoch: 1, index: 0 }, step: 3, rng: { seed: 11, algorithm: 'test' }, best: { top1: 0.01, epoch: 0 }, epochAcc: null, strategyState: null, teacherEval: null, trainSeconds: 0, trainImages: 0 };
    await writeCheckpoint(join(work, `run-${name}`), 'best', { model, buffers: [], state });
  } finally {
    model.dispose();
  }
  return join(work, `run-${name}`, 'checkpoints', 'best');
}

/** Node's logits (cpu backend) of the checkpoint for the eight images, normalised by @atkd/data. */
async function nodeLogits(checkpoint: string): Promise<Float32Array> {
  const model = await loadModel(checkpoint);
  try {
    return tf.tidy(() => (model.predict(tf.tensor4d(toNormalizedNHWC(images), [N, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
  } finally {
    model.dispose();
  }
}

function logitStd(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i] / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2 / a.length;
  return Math.sqrt(v);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type PageWindow = { atkdPage: { ready: Promise<void>; error: string | null; results: Array<{ file: string; logits: number[]; top: Array<{ name: string; probability: number }>; ms: number }> } };

describe.each(['resnet8', 'ShuffleV2'])('atkd export %s', (name) => {
  let dir: string;
  let server: StaticServer;
  let manifest: WebManifest;
  let expected: Float32Array;

  beforeAll(async () => {
    const ck = await studentCheckpoint(name);
    dir = join(work, `web-${name}`);
    const r = atkd(['export', ck, '--to', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual(expect.arrayContaining(['model.json', 'weights.bin', WEB_MANIFEST, 'index.html', 'atkd-web.js']));
    manifest = JSON.parse(readFileSync(join(dir, WEB_MANIFEST), 'utf8')) as WebManifest;
    expected = await nodeLogits(ck);
    const spread = logitStd(expected);
    diffs[`${name}/logit-std`] = spread;
    expect(spread, 'the logits must spread (else equal-within-1e-5 means nothing)').toBeGreaterThan(0.5);
    server = await serveDirectory(dir);
  });
  afterAll(async () => server?.close());

  it('writes a manifest with architecture, the 100 class names, the input normalisation and the source', () => {
    expect(manifest).toMatchObject({ format: 'atkd-web-model/1', model: 'model.json', architecture: { name }, input: { size: 32, layout: 'NHWC', scale: 255, normalization: 'cifar100', mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] }, source: { epoch: 1, step: 3, testTop1: 0.01 } });
    expect(manifest.classes).toHaveLength(100);
    expect(manifest.classes.slice(0, 3)).toEqual(['apple', 'aquarium_fish', 'baby']);
    expect(manifest.architecture.params).toBeGreaterThan(0);
  });

  // webgl (SwiftShader: slow) only for the student with custom layers
  const backends = [['cpu', 1e-5], ['wasm', 1e-3], ...(name === 'ShuffleV2' ? [['webgl', 1e-3] as const] : [])] as const;
  for (const [backend, tol] of backends) {
    it(`the page's logits for ${N} picked test images equal Node's within ${tol} on the browser's ${backend} backend; top-5 shown; nothing off localhost`, async (ctx) => {
      const { page, requests, errors } = await watchedPage(browser);
      try {
        await page.goto(`${server.url}?backend=${backend}`);
        const ready = await page.evaluate(() => (globalThis as unknown as PageWindow).atkdPage.ready.then(() => null, (e: Error) => e.message));
        if (backend === 'webgl' && ready !== null && /not available/.test(ready)) {
          ctx.skip(`this Chromium has no WebGL: ${ready}`);
          return;
        }
        expect(ready).toBeNull();
        await page.setInputFiles('#pick', pngs);
        await page.waitForFunction((n) => (globalThis as unknown as PageWindow).atkdPage.results.length >= n, N);
        const results = await page.evaluate(() => (globalThis as unknown as PageWindow).atkdPage.results);
        const got = results.flatMap((r) => r.logits);
        const diff = maxAbsDiff(got, expected);
        diffs[`${name}/${backend}`] = diff;
        expect(diff, `max |browser - node| on ${backend}`).toBeLessThanOrEqual(tol);
        for (const r of results) {
          expect(r.top).toHaveLength(5);
          expect(manifest.classes).toContain(r.top[0].name);
          expect(r.ms).toBeGreaterThan(0);
        }
        expect(await page.locator('.result').count()).toBe(N);
        expect(await page.locator('.result').first().locator('.top5 li').count()).toBe(5);
        await expect.poll(() => page.textContent('#status')).toMatch(new RegExp(`${name} on ${backend}: ${N} images, mean [\\d.]+ ms / image`));
        await screenshot(page, `export-${name}-${backend}`);
        if (backend === 'cpu') {
          // a dropped image gets a top-5 list with class names and milliseconds
          const bytes = Array.from(readFileSync(pngs[0]));
          const dataTransfer = await page.evaluateHandle((b) => {
            const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } }).DataTransfer();
            dt.items.add(new File([new Uint8Array(b)], 'dropped.png', { type: 'image/png' }));
            return dt;
          }, bytes);
          await page.dispatchEvent('#drop', 'drop', { dataTransfer });
          await page.waitForFunction((n) => (globalThis as unknown as PageWindow).atkdPage.results.length > n, N);
          const first = page.locator('.result').first();
          expect(await first.locator('h3').textContent()).toBe('dropped.png');
          const names = await first.locator('.top5 li .name').allTextContents();
          expect(names).toHaveLength(5);
          for (const n of names) expect(manifest.classes).toContain(n);
          expect(await first.locator('.ms').textContent()).toMatch(/^[\d.]+ ms \/ image$/);
          const dropped = (await page.evaluate(() => (globalThis as unknown as PageWindow).atkdPage.results)).at(-1);
          expect(maxAbsDiff(dropped?.logits ?? [], expected.subarray(0, 100))).toBeLessThanOrEqual(1e-5);
          await screenshot(page, `export-${name}-drop`);
        }
        if (backend !== 'webgl') expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
      expect(requests.filter((u) => !isLocal(u))).toEqual([]);
      expect(requests.map((u) => new URL(u).pathname)).toEqual(expect.arrayContaining(['/atkd-web.js', '/page.js', `/${WEB_MANIFEST}`, '/model.json', '/weights.bin']));
      if (backend === 'wasm') expect(requests.some((u) => u.endsWith('.wasm'))).toBe(true);
    });
  }
});


describe('atkd export --serve', () => {
  it('serves an export on localhost until SIGINT, then exits 0', async () => {
    const ck = await studentCheckpoint('resnet8');
    const dir = join(work, 'served');
    expect(atkd(['export', ck, '--to', dir])).toMatchObject({ code: 0 });
    const child = spawn(process.execPath, [MAIN, 'export', '--serve', '--to', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C stops\)/.exec(out);
          if (m) resolveUrl(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`atkd export --serve exited ${code}: ${out}`)));
      });
      const manifest = (await (await fetch(`${url}${WEB_MANIFEST}`)).json()) as WebManifest;
      expect(manifest.architecture.name).toBe('resnet8');
      expect((await fetch(url)).headers.get('content-type')).toMatch(/text\/html/);
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('atkd export: bad input', () => {
  it('names the path or flag: no --to, not a run or model directory, a non-empty target, an unknown --checkpoint', async () => {
    const ck = await studentCheckpoint('resnet8');
    expect(await atkdInProcess(['export', ck])).toMatchObject({ code: 2, stderr: expect.stringMatching(/give the export directory with --to DIR/) });
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expect(await atkdInProcess(['export', empty, '--to', join(work, 'x')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/empty is neither a run directory \(no config\.json\) nor a model directory \(no model\.json\)/) });
    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'notes.txt'), 'keep me');
    expect(await atkdInProcess(['export', ck, '--to', full])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--to .*full holds files but no earlier export \(atkd-model\.json\)/) });
    expect(readFileSync(join(full, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(await atkdInProcess(['export', join(work, 'run-resnet8'), '--checkpoint', 'first', '--to', join(work, 'y')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--checkpoint must be best or latest, got "first"/) });
    expect(await atkdInProcess(['export', ck, '--arch', 'resnet9', '--to', join(work, 'z')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/flag --arch: unknown model "resnet9"/) });
    expect(await atkdInProcess(['export', ck, '--arch', 'resnet20', '--to', join(work, 'z')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--arch resnet20, but checkpoint .* holds a resnet8/) });
    expect(await atkdInProcess(['export', ck, '--model', 'resnet8', '--to', join(work, 'z')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/flag --model was renamed: use --arch NAME/) });
    expect(await atkdInProcess(['export', join(work, 'none.pth'), '--to', join(work, 'z')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/none\.pth does not exist/) });
    expect(await atkdInProcess(['export', '--serve', '--to', empty])).toMatchObject({ code: 1, stderr: expect.stringMatching(/empty is not an export directory/) });
  });
});
