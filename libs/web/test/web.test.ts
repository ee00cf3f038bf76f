// Node-side checks of @atkd/web: the page's input normalisation gives the same bits as the training
// input of @atkd/data, top-k, the manifest check, the export file set and the localhost server.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR100_MEAN, CIFAR100_STD, toNormalizedNHWC } from '@atkd/data';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_FILES, WEB_MANIFEST, checkManifest, normalizeRgba, reportPage, serveDirectory, softmax, topK, webManifest, webPageFiles, type InputSpec } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-web-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const INPUT: InputSpec = { size: 32, channels: 'RGB', layout: 'NHWC', scale: 255, mean: [...CIFAR100_MEAN], std: [...CIFAR100_STD] };

function manifestFields() {
  return { architecture: { name: 'resnet8', family: 'resnet', params: 1, macs: 2 }, classes: ['a', 'b', 'c'], outputs: 3, input: INPUT, source: { run: null, checkpoint: '/x', epoch: 1, step: 2, testTop1: 0.5, testTop5: null }, now: new Date(0) };
}

describe('normalizeRgba', () => {
  it('gives bit-identical floats to toNormalizedNHWC of @atkd/data for the same pixels (CHW vs RGBA layout)', () => {
    const n = 3;
    const chw = new Uint8Array(n * 3072);
    for (let i = 0; i < chw.length; i++) chw[i] = (i * 131 + (i >> 7)) % 256;
    const rgba = new Uint8Array(n * 1024 * 4);
    for (let b = 0; b < n; b++) for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) rgba[(b * 1024 + p) * 4 + c] = chw[b * 3072 + c * 1024 + p];
      rgba[(b * 1024 + p) * 4 + 3] = 255;
    }
    const a = toNormalizedNHWC(chw);
    const w = normalizeRgba(rgba, INPUT);
    expect(w.length).toBe(a.length);
    expect(Buffer.from(w.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(() => normalizeRgba(new Uint8Array(100), INPUT)).toThrow(/not whole 32x32 RGBA images/);
  });
});

describe('topK / softmax', () => {
  it('ranks by probability, breaks ties by index, sums to one', () => {
    const p = softmax([1, 2, 3]);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const t = topK([0.5, 2, 2, -1, 7, 0], ['a', 'b', 'c', 'd', 'e', 'f'], 3);
    expect(t.map((x) => x.name)).toEqual(['e', 'b', 'c']);
    expect(t[0].probability).toBeCloseTo(Math.exp(7) / [0.5, 2, 2, -1, 7, 0].reduce((s, v) => s + Math.exp(v), 0), 12);
    expect(() => topK([1, 2], ['a'], 1)).toThrow(/2 logits, 1 class names/);
  });
});

describe('manifest', () => {
  it('checks every field and names the bad one', () => {
    const m = webManifest(manifestFields());
    expect(checkManifest(JSON.parse(JSON.stringify(m)), 'x.json')).toEqual(m);
    const bad = (patch: Record<string, unknown>) => () => checkManifest({ ...m, ...patch }, 'x.json');
    expect(bad({ format: 'other/1' })).toThrow(/x\.json: field 'format' is "other\/1"/);
    expect(bad({ classes: [] })).toThrow(/field 'classes'/);
    expect(bad({ input: { ...INPUT, std: [1, 0, 1] } })).toThrow(/field 'input\.std'/);
    expect(bad({ input: { ...INPUT, layout: 'NCHW' } })).toThrow(/field 'input\.layout' is "NCHW"/);
    expect(() => webManifest({ ...manifestFields(), outputs: 4 })).toThrow(/3 class names for a model with 4 outputs/);
  });

  it('the page files are the manifest and the built bundle, page and wasm binaries', () => {
    const files = webPageFiles(webManifest(manifestFields()));
    expect(files.map((f) => f.name)).toEqual([WEB_MANIFEST, ...PAGE_FILES]);
    const html = String(Buffer.from(files.find((f) => f.name === 'index.html')?.data as Uint8Array));
    expect(html).toMatch(/<script src="atkd-web\.js"><\/script>\s*<script src="page\.js"><\/script>/);
    expect(html).not.toMatch(/https?:\/\//); // nothing from the network
    const bundle = files.find((f) => f.name === 'atkd-web.js')?.data as Uint8Array;
    expect(bundle.length).toBeGreaterThan(500_000); // TF.js is in it
    expect(String(Buffer.from(bundle))).toMatch(/AtkdGroupConv2D/); // and the custom layers
    const wasm = files.find((f) => f.name === 'tfjs-backend-wasm.wasm')?.data as Uint8Array;
    expect(Buffer.from(wasm.subarray(0, 4)).toString('latin1')).toBe('\0asm');
  });
});

describe('serveDirectory', () => {
  it('serves files of the directory only, with content types; 404 and 403 otherwise', async () => {
    const dir = join(work, 'site');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(join(dir, 'sub', 'a.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(join(work, 'secret.txt'), 'no');
    const s = await serveDirectory(dir);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(s.url);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(await index.text()).toBe('<p>hi</p>');
      const wasm = await fetch(`${s.url}sub/a.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect((await fetch(`${s.url}nope.js`)).status).toBe(404);
      expect((await fetch(`${s.url}sub`)).status).toBe(404);
      expect((await fetch(`${s.url}..%2fsecret.txt`)).status).toBe(403);
      expect((await fetch(s.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await s.close();
    }
  });
});

describe('reportPage', () => {
  it('is one self-contained page: the data as JSON (safe inside <script>), the renderer inlined, nothing loaded from elsewhere', () => {
    const run = { dir: '/runs/a', title: 'distill <b>&</b> </script>', config: { note: '</script><script>alert(1)</script>' }, summary: null, plots: [{ name: 'accuracy', spec: { mark: 'line' } }] };
    const html = reportPage([run], new Date(0));
    expect(html).toContain('<title>atkd report: distill &lt;b&gt;&amp;&lt;/b&gt; &lt;/script&gt;</title>');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data element and the renderer, nothing from the data
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)/);
    const json = /<script type="application\/json" id="atkd-report-data">(.*?)<\/script>/s.exec(html)?.[1] as string;
    expect(JSON.parse(json)).toMatchObject({ format: 'atkd-report/1', generatedAt: '1970-01-01T00:00:00.000Z', runs: [run] });
    expect(html.length).toBeGreaterThan(500_000); // vega + vega-lite + vega-embed are in it
    expect(() => reportPage([])).toThrow(/no run/);
  });
});
