// Backend selection for atkd: tfjs-node-gpu > tfjs-node > torch (libtorch, @atkd/backend-torch) > wasm
// (+ atkd training kernels) > cpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { initializedWasm, registerWasmTrainingKernels } from './kernels/register.js';
import { prepareWasmThreads, unrefWasmWorkers, wasmThreads, wasmThreadsFrom } from './wasm-threads.js';
import { threadsFrom } from '@atkd/backend-torch/threads';

/** The engines atkd can run on, best first. */
export const BACKEND_CHOICES = ['tfjs-node-gpu', 'tfjs-node', 'torch', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface SkippedBackend {
  backend: BackendChoice;
  /** Why it was not used (not installed, failed to load, ...). */
  skipped: string;
}

export interface BackendInfo {
  /** The chosen engine. */
  name: BackendChoice;
  /** The TF.js backend name now active ('tensorflow', 'torch', 'wasm' or 'cpu'). */
  tfBackend: string;
  /** Engines tried before the chosen one, with the reason each was skipped. */
  reasons: SkippedBackend[];
  /** Whether the choice was forced by `prefer` / ATKD_BACKEND. */
  forced: boolean;
  /** atkd kernels registered on wasm (empty for other engines). */
  kernels: string[];
  /** Threads of the engine: ATen intra-op threads on torch, XNNPACK threads on wasm (1 for the others, which manage their own). */
  threads: number;
  /** The engine's library version where atkd knows it (libtorch's on torch), else null. */
  version: string | null;
  /** Why wasm runs on fewer threads than asked (null when it got them, or for other engines). */
  threadsNote: string | null;
}

export interface InitBackendOptions {
  /** Force one engine (overrides ATKD_BACKEND). An error names it if it cannot be used. */
  prefer?: BackendChoice;
  /** Where the decision is reported; `false` silences it. Default: one line on stderr. */
  log?: ((line: string) => void) | false;
  /** Environment to read ATKD_BACKEND from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Register atkd's wasm training kernels when wasm is chosen (default true). */
  wasmKernels?: boolean;
  /**
   * Threads of the engine (overrides ATKD_THREADS): ATen intra-op threads on torch, XNNPACK threads
   * on wasm (1..8). Default: every core in the main thread, 1 in a worker thread. On wasm the count
   * is fixed once wasm has initialized in this thread.
   */
  threads?: number;
  /** The older name of `threads` (wasm only); `threads` wins when both are given. */
  wasmThreads?: number;
}

const require = createRequire(import.meta.url);

/** Directory holding the tfjs-backend-wasm .wasm binaries, as a path with a trailing slash. */
export function wasmBinaryDir(): string {
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<string | null> {
  try {
    require.resolve(pkg);
  } catch {
    return `${pkg} is not installed`;
  }
  try {
    const spec: string = pkg; // a variable: the package is optional and never a build-time dependency
    await import(spec);
  } catch (e) {
    return `${pkg} failed to load: ${message(e)}`;
  }
  if (tf.findBackend('tensorflow') === null) {
    return `${pkg} loaded but did not register the 'tensorflow' backend with this @tensorflow/tfjs-core (duplicate tfjs-core copies?)`;
  }
  if (!(await tf.setBackend('tensorflow'))) return `${pkg}: the 'tensorflow' backend failed to initialize`;
  return null;
}

/** libtorch's version and ATen's threads after the last successful torch initialization. */
let torchState: { version: string; threads: number } | null = null;

async function tryTorch(threads: number): Promise<string | null> {
  let mod: typeof import('@atkd/backend-torch');
  try {
    mod = await import('@atkd/backend-torch');
  } catch (e) {
    return `@atkd/backend-torch failed to load: ${message(e)}`;
  }
  if (!mod.registerTorchBackend()) return mod.torchUnavailable() ?? 'the torch engine is not available';
  try {
    if (!(await tf.setBackend('torch'))) return 'the torch backend failed to initialize';
    torchState = { version: mod.torchVersion(), threads: mod.setTorchThreads(threads) };
    return null;
  } catch (e) {
    return `torch failed: ${message(e)}`;
  }
}

/** Why the last wasm initialization got fewer threads than asked. */
let threadsNote: string | null = null;

async function tryWasm(kernels: boolean, threads: number): Promise<string | null> {
  try {
    setWasmPaths(wasmBinaryDir());
    if (kernels) registerWasmTrainingKernels();
    if (initializedWasm() !== undefined) {
      if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialize';
      const got = wasmThreads();
      threadsNote = got !== threads ? `wasm was already initialized in this thread with ${got}; the count is fixed from then on` : null;
      return null;
    }
    const plan = prepareWasmThreads(threads);
    let ok: boolean;
    try {
      ok = await tf.setBackend('wasm');
    } finally {
      plan.restore();
    }
    if (!ok) return 'the wasm backend failed to initialize';
    unrefWasmWorkers();
    const got = wasmThreads();
    threadsNote = plan.skipped ?? (got < threads ? `tfjs-backend-wasm started ${got} of ${threads} threads` : null);
    return null;
  } catch (e) {
    return `wasm failed: ${message(e)}`;
  }
}

async function tryCpu(): Promise<string | null> {
  try {
    return (await tf.setBackend('cpu')) ? null : 'the cpu backend failed to initialize';
  } catch (e) {
    return `cpu failed: ${message(e)}`;
  }
}

interface ThreadCounts { torch: number; wasm: number }

async function attempt(choice: BackendChoice, kernels: boolean, threads: ThreadCounts): Promise<string | null> {
  switch (choice) {
    case 'tfjs-node-gpu': return tryNative('@tensorflow/tfjs-node-gpu');
    case 'tfjs-node': return tryNative('@tensorflow/tfjs-node');
    case 'torch': return tryTorch(threads.torch);
    case 'wasm': return tryWasm(kernels, threads.wasm);
    case 'cpu': return tryCpu();
  }
}

function parseChoice(value: string, source: string): BackendChoice {
  const v = value.trim().toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`${source}='${value}' is not a backend atkd knows; use one of ${BACKEND_CHOICES.join(', ')}`);
}

let current: { key: string; info: Promise<BackendInfo> } | null = null;

/**
 * Picks and activates the fastest available TF.js engine. Idempotent: repeated calls with the
 * same preference return the same result (and do no work); a different forced preference switches.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const envValue = env['ATKD_BACKEND'];
  const forced: BackendChoice | undefined = options.prefer !== undefined
    ? parseChoice(options.prefer, 'initBackend({ prefer })')
    : envValue !== undefined && envValue !== '' ? parseChoice(envValue, 'ATKD_BACKEND') : undefined;
  const kernels = options.wasmKernels ?? true;
  const requested = options.threads ?? options.wasmThreads;
  const threads: ThreadCounts = {
    torch: threadsFrom(requested, env, { source: options.threads !== undefined ? 'initBackend({ threads })' : 'initBackend({ wasmThreads })' }),
    wasm: wasmThreadsFrom(requested, env),
  };
  const key = `${forced ?? 'auto'}|${kernels}|${threads.torch}|${threads.wasm}`;
  if (current !== null && current.key === key) return current.info;
  const log = options.log === false ? () => undefined : options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const info = select(forced, kernels, threads, log, options.prefer !== undefined ? 'prefer' : 'ATKD_BACKEND');
  current = { key, info };
  info.catch(() => { if (current?.info === info) current = null; });
  return info;
}

async function select(
  forced: BackendChoice | undefined, kernels: boolean, threads: ThreadCounts, log: (l: string) => void, forcedBy: string,
): Promise<BackendInfo> {
  const reasons: SkippedBackend[] = [];
  const order = forced !== undefined ? [forced] : [...BACKEND_CHOICES];
  for (const choice of order) {
    const why = await attempt(choice, kernels, threads);
    if (why === null) {
      await tf.ready();
      const wasm = choice === 'wasm';
      const torch = choice === 'torch' && torchState !== null ? torchState : null;
      const info: BackendInfo = {
        name: choice, tfBackend: tf.getBackend(), reasons, forced: forced !== undefined,
        kernels: wasm && kernels ? registerWasmTrainingKernels() : [],
        threads: wasm ? wasmThreads() : torch !== null ? torch.threads : 1,
        version: torch !== null ? torch.version : null,
        threadsNote: wasm ? threadsNote : null,
      };
      const skipped = reasons.map((r) => `${r.backend}: ${r.skipped}`).join('; ');
      const plural = info.threads === 1 ? '' : 's';
      const threadsText = wasm ? `, ${info.threads} XNNPACK thread${plural}` + (info.threadsNote !== null ? ` (${info.threadsNote})` : '')
        : torch !== null ? ` (libtorch ${torch.version}, ${info.threads} ATen thread${plural})` : '';
      log(`[atkd/backend] using ${choice}${threadsText}${forced !== undefined ? ` (forced by ${forcedBy})` : ''}` +
        (skipped ? ` — skipped ${skipped}` : '') +
        (info.kernels.length > 0 ? ` — atkd wasm kernels: ${info.kernels.join(', ')}` : ''));
      return info;
    }
    if (forced !== undefined) {
      throw new Error(`@atkd/backend: the forced backend '${choice}' (${forcedBy}) cannot be used: ${why}`);
    }
    reasons.push({ backend: choice, skipped: why });
  }
  throw new Error(`@atkd/backend: no TF.js backend could be initialized: ${reasons.map((r) => `${r.backend}: ${r.skipped}`).join('; ')}`);
}
