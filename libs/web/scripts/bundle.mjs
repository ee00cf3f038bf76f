#!/usr/bin/env node
// Builds the browser files of @atkd/web into dist/browser/ (an Nx build step, after tsc):
//   atkd-web.js      TF.js (webgl, wasm, cpu backends) + atkd's custom layers + the classifier (IIFE, global `atkd`)
//   page.js          the classifier page's script; index.html is copied from static/
//   *.wasm           the TF.js WebAssembly binaries (loaded by atkd-web.js from the page's directory)
//   atkd-report.js   vega + vega-lite + vega-embed + the run report's renderer (inlined into report pages)
// Nothing is fetched at run time: every file a page needs is here.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'browser');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, platform: 'browser', format: 'iife', target: 'es2020', minify: true, legalComments: 'none', logLevel: 'warning', absWorkingDir: root };
await build({ ...common, entryPoints: ['src/browser/classifier.ts'], globalName: 'atkd', outfile: join(out, 'atkd-web.js') });
await build({ ...common, entryPoints: ['src/browser/page.ts'], outfile: join(out, 'page.js') });
await build({ ...common, entryPoints: ['src/browser/report.ts'], outfile: join(out, 'atkd-report.js') });

copyFileSync(join(root, 'static', 'index.html'), join(out, 'index.html'));
const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
for (const f of readdirSync(join(wasmDir, 'dist')).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(wasmDir, 'dist', f), join(out, f));
