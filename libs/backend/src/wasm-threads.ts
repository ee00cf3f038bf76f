// Multi-threaded XNNPACK for the wasm backend in Node.
//
// tfjs-backend-wasm ships a threaded SIMD build but never uses it in Node, for three reasons this
// module works around while the backend initializes (and undoes right after):
// 1. the flag WASM_HAS_MULTITHREAD_SUPPORT answers false whenever IS_NODE;
// 2. the pthread workers are started from `blob:` URLs (the worker script, and the module factory
//    the worker imports), which Node's Worker rejects (ERR_WORKER_PATH): Blob and
//    URL.createObjectURL are wrapped so that these two scripts are written to files instead (the
//    factory with a prelude defining the bundler's module-scope names it refers to);
// 3. the C++ side caps the thread count at (logical cores / 2), i.e. 1 thread on a 2-core machine:
//    os.cpus() reports 2 x the requested count for the moment the module initializes.
// If any precondition is missing (no SharedArrayBuffer, an unexpected bundle layout, no writable
// temp directory), nothing is patched and the single-threaded SIMD build is used, with the reason.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@atkd/fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadsFrom } from '@atkd/backend-torch/threads';
import { initializedWasm } from './kernels/register.js';

const require = createRequire(import.meta.url);

/** tfjs-backend-wasm pre-creates 8 pthread workers and never uses more. */
export const MAX_WASM_THREADS = 8;

/**
 * The XNNPACK thread count: `requested`, else the one threads setting `ATKD_THREADS`, else
 * `ATKD_WASM_THREADS` (its older, wasm-only name), else every core in the main thread and 1 inside a
 * worker thread (where atkd already splits work across threads). An invalid value is an error
 * naming its source. (The parsing is `threadsFrom` of @atkd/backend-torch/threads, shared by every engine.)
 */
export function wasmThreadsFrom(
  requested: number | undefined, env: Record<string, string | undefined> = process.env,
): number {
  return threadsFrom(requested, env, { max: MAX_WASM_THREADS, source: 'initBackend({ wasmThreads })', legacyVar: 'ATKD_WASM_THREADS' });
}

/** What one attempt to enable threads did, reported in BackendInfo. */
export interface WasmThreadsPlan {
  /** Undoes every patch; call once the wasm backend has initialized (or failed to). */
  restore(): void;
  /** Why threads were not enabled (null when they were requested and prepared). */
  skipped: string | null;
}

const PRELUDE_HELPERS =
  // The factory is serialized with Function#toString, so module-scope names of the bundle it refers
  // to must be defined again in the worker: the renamed requires, the commonjs global, the script
  // directory (unused: the module comes from `wasmModule`), and three TypeScript iteration helpers.
  'var commonjsGlobal = globalThis; var _scriptDir;\n' +
  'function __values(o) { return o[Symbol.iterator](); }\n' +
  'function __read(o, n) { var a = []; for (var v of o) { if (n !== undefined && a.length >= n) break; a.push(v); } return a; }\n' +
  'function __spreadArray(to, from) { return to.concat(Array.prototype.slice.call(from)); }\n';

const FACTORY_HEAD = 'var WasmBackendModuleThreadedSimd';

/** Writes `text` to a content-addressed file (`writeFileAtomicSync`: never half-written). */
function persist(dir: string, suffix: string, text: string): string {
  const path = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 20)}${suffix}`);
  if (!existsSync(path)) {
    writeFileAtomicSync(path, text);
  }
  return path;
}

function bundleRequires(): string | null {
  const bundle = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js'), 'utf8');
  const lines = [...bundle.matchAll(/^var (require\$\$\d+) = require\('([^']+)'\);$/gm)]
    .map((m) => `var ${m[1]} = require(${JSON.stringify(m[2])});`);
  if (lines.length === 0 || !bundle.includes(`factoryConfig.mainScriptUrlOrBlob = new Blob(["${FACTORY_HEAD} = "`)) return null;
  return lines.join('\n') + '\n';
}

/**
 * Prepares the next `tf.setBackend('wasm')` to start `requested` XNNPACK threads. Must run before
 * the wasm backend is first initialized in this thread (the count is fixed from then on).
 */
export function prepareWasmThreads(requested: number): WasmThreadsPlan {
  const none = (skipped: string | null): WasmThreadsPlan => ({ restore: () => undefined, skipped });
  if (requested === 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    return none(null);
  }
  if (typeof SharedArrayBuffer === 'undefined') return none('SharedArrayBuffer is not available in this Node');
  let requires: string | null;
  let dir: string;
  try {
    requires = bundleRequires();
    dir = join(tmpdir(), 'atkd-wasm-threads');
    mkdirSync(dir, { recursive: true });
    // The scripts are written while tfjs initializes, where a failure would break the backend
    // instead of falling back: make sure writing works first.
    const probe = join(dir, `.probe.${process.pid}.${Math.random().toString(36).slice(2)}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    return none(`cannot prepare the worker scripts: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (requires === null) return none('the installed tfjs-backend-wasm bundle has an unexpected layout');
  const prelude = requires + PRELUDE_HELPERS;

  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL.bind(URL);
  const os = require('node:os') as typeof import('node:os') & { cpus: () => import('node:os').CpuInfo[] };
  const originalCpus = os.cpus;
  const texts = new WeakMap<object, string>();
  let factoryPath: string | null = null;

  type BlobArgs = ConstructorParameters<typeof Blob>;
  class RecordingBlob extends OriginalBlob {
    constructor(parts: BlobArgs[0] = [], options?: BlobArgs[1]) {
      super(parts, options);
      if (parts.every((p) => typeof p === 'string')) {
        const text = (parts as unknown as string[]).join('');
        texts.set(this, text);
        if (text.startsWith(FACTORY_HEAD)) factoryPath = persist(dir, '-factory.cjs', prelude + text);
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (obj: Blob) => {
    const text = texts.get(obj);
    if (text === undefined) return originalCreate(obj);
    // The pthread worker script: inside the worker, the factory Blob it is sent resolves to the file.
    const head = `URL.createObjectURL = function () { return ${JSON.stringify(factoryPath)}; }; URL.revokeObjectURL = function () {};\n`;
    return persist(dir, '-worker.cjs', head + text);
  };
  os.cpus = () => {
    const cpus = originalCpus.call(os);
    return Array.from({ length: 2 * requested }, (_, i) => cpus[i % cpus.length]);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(requested);
  return {
    skipped: null,
    restore: () => {
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreate;
      os.cpus = originalCpus;
    },
  };
}

interface EmscriptenWorker { unref?: () => void }
interface PThreadTable { unusedWorkers?: EmscriptenWorker[]; runningWorkers?: EmscriptenWorker[] }

/**
 * Lets the process exit while the pthread workers wait for work: Node keeps a process alive as long
 * as a Worker is referenced, and emscripten never unreferences its pool (8 workers, some of them
 * running XNNPACK's idle threads). Call after the wasm backend initialized.
 */
export function unrefWasmWorkers(): number {
  const table = (initializedWasm() as { wasm?: { PThread?: PThreadTable } } | undefined)?.wasm?.PThread;
  if (table === undefined) return 0;
  let n = 0;
  for (const w of [...(table.unusedWorkers ?? []), ...(table.runningWorkers ?? [])]) {
    if (typeof w.unref === 'function') { w.unref(); n++; }
  }
  return n;
}

/** XNNPACK threads of the initialized wasm backend (1 when it is single-threaded). */
export function wasmThreads(): number {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1;
  }
}
