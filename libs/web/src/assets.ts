/**
 * The browser files built by `scripts/bundle.mjs` into `dist/browser/` (see there): found from this
 * module's own location, so they work from `src/` (tests) and `dist/` alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of the built browser files. */
export function browserDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'browser');
}

/** The files a classifier page needs, next to the model and its manifest. */
export const PAGE_FILES = ['index.html', 'page.js', 'atkd-web.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** One built browser file's bytes; a clear error when @atkd/web has not been built. */
export function browserFile(name: string): Buffer {
  const path = join(browserDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: build @atkd/web first (npx nx run web:build)`);
  return readFileSync(path);
}
