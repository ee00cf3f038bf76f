/**
 * The classifier page of an exported student (`page.js`, loaded by `index.html` after `atkd-web.js`):
 * loads the manifest and the model from the page's own directory, then classifies every image the user
 * drops on the page or picks: centre-cropped to a square, resized to the model's input size on a canvas,
 * normalised as in training; shows the top-5 classes with their probabilities and the milliseconds of
 * the forward pass. `?backend=webgl|wasm|cpu` picks the TF.js backend (default: the first that works).
 * State for tests and scripts: `window.atkdPage` (`ready`, `classifier`, `results`).
 */
import type * as Atkd from './classifier.js';

declare const atkd: typeof Atkd;

interface PageResult {
  file: string;
  logits: number[];
  top: Atkd.Prediction[];
  ms: number;
}

interface PageState {
  ready: Promise<void>;
  classifier: Atkd.Classifier | null;
  results: PageResult[];
  error: string | null;
  /** Classifies files as if dropped (what the drop and the file input call). */
  classifyFiles(files: Iterable<File>): Promise<PageResult[]>;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`index.html has no #${id}`);
  return el as T;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
}

function decode(file: File): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`${file.name}: not an image this browser can decode`));
    img.src = url;
  });
}

/** The image centre-cropped to a square and drawn at `size x size`: its RGBA pixels. */
function pixelsOf(img: HTMLImageElement, size: number): Uint8ClampedArray {
  const canvas = el('canvas', { width: size, height: size });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('this browser has no 2D canvas');
  const side = Math.min(img.naturalWidth, img.naturalHeight);
  const sx = (img.naturalWidth - side) / 2;
  const sy = (img.naturalHeight - side) / 2;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, sx, sy, side, side, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

/** 12.3%, or 1.04% below 10% (an untrained model's near-uniform output still reads). */
function percent(p: number): string {
  return `${(100 * p).toFixed(100 * p < 10 ? 2 : 1)}%`;
}

function fill(probability: number): HTMLElement {
  const f = el('span', { className: 'fill' });
  f.style.width = `${(100 * probability).toFixed(1)}%`;
  return f;
}

function card(file: File, img: HTMLImageElement, r: Atkd.Classification): HTMLElement {
  const thumb = el('img', { src: img.src, alt: file.name, className: 'thumb' });
  const rows = r.top.map((p, i) =>
    el('li', { className: i === 0 ? 'best' : '' },
      el('span', { className: 'name' }, p.name),
      el('span', { className: 'bar' }, fill(p.probability)),
      el('span', { className: 'prob' }, percent(p.probability))),
  );
  return el('article', { className: 'result' }, thumb,
    el('div', {}, el('h3', {}, file.name), el('ol', { className: 'top5' }, ...rows), el('p', { className: 'ms' }, `${r.ms.toFixed(2)} ms / image`)));
}

function start(): PageState {
  const status = $('status');
  const list = $('results');
  const params = new URLSearchParams(location.search);
  const wanted = params.get('backend') as Atkd.BackendName | null;
  const state: PageState = {
    ready: Promise.resolve(),
    classifier: null,
    results: [],
    error: null,
    async classifyFiles(files) {
      await state.ready;
      const c = state.classifier;
      if (c === null) throw new Error(state.error ?? 'the model is not loaded');
      const out: PageResult[] = [];
      for (const file of files) {
        try {
          const img = await decode(file);
          const [r] = c.classify(pixelsOf(img, c.manifest.input.size));
          list.prepend(card(file, img, r));
          const result = { file: file.name, logits: Array.from(r.logits), top: r.top, ms: r.ms };
          state.results.push(result);
          out.push(result);
        } catch (e) {
          list.prepend(el('article', { className: 'result error' }, (e as Error).message));
        }
      }
      const n = state.results.length;
      if (n > 0) status.textContent = `${c.manifest.architecture.name} on ${c.backend}: ${n} image${n === 1 ? '' : 's'}, mean ${(state.results.reduce((s, r) => s + r.ms, 0) / n).toFixed(2)} ms / image`;
      return out;
    },
  };
  state.ready = (async () => {
    if (location.protocol === 'file:') throw new Error('open this page through a web server (atkd export --serve --to DIR, or any static server): browsers do not let a file:// page load the model');
    const c = await atkd.loadClassifier(new URL('./', location.href).href, wanted ? { backend: wanted } : {});
    state.classifier = c;
    const m = c.manifest;
    document.title = `${m.architecture.name}: atkd student`;
    $('model').textContent = `${m.architecture.name}${m.architecture.params ? ` (${(m.architecture.params / 1000).toFixed(1)} K parameters)` : ''}, ${m.classes.length} classes${m.source.testTop1 !== null ? `, test top-1 ${(100 * m.source.testTop1).toFixed(2)}%` : ''}`;
    const select = $<HTMLSelectElement>('backend');
    select.value = c.backend;
    select.onchange = () => {
      params.set('backend', select.value);
      location.search = params.toString();
    };
    status.textContent = `ready: ${m.architecture.name} on the ${c.backend} backend. Drop images here or pick them.`;
  })().catch((e: unknown) => {
    state.error = (e as Error).message;
    status.textContent = `error: ${state.error}`;
    status.className = 'error';
    throw e;
  });
  const zone = $('drop');
  const picker = $<HTMLInputElement>('pick');
  picker.onchange = () => void state.classifyFiles(Array.from(picker.files ?? []));
  const over = (e: DragEvent) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  document.addEventListener('dragover', over);
  document.addEventListener('dragenter', over);
  document.addEventListener('dragleave', () => zone.classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void state.classifyFiles(Array.from(e.dataTransfer?.files ?? []));
  });
  return state;
}

(window as unknown as { atkdPage: PageState }).atkdPage = start();
