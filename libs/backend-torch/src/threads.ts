// The one threads setting of every atkd engine: `ATKD_THREADS` (the CLI's --threads sets it), read
// here and nowhere else. ATen intra-op threads on `torch`, XNNPACK threads on `wasm`. Default: every
// core in the main thread, 1 in a worker thread (where atkd already splits the work across threads).
// No side effects: importing this module loads no addon (`@atkd/backend-torch/threads`).
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/**
 * The thread count for an engine: `requested` (named `source` in errors), else `ATKD_THREADS`, else
 * `legacyVar` (an engine's older variable, e.g. ATKD_WASM_THREADS), else the default above, capped
 * at `max`. A value that is not an integer in 1..max is an error naming where it came from.
 */
export function threadsFrom(
  requested: number | undefined,
  env: Record<string, string | undefined> = process.env,
  options: { max?: number; source?: string; legacyVar?: string } = {},
): number {
  const max = options.max ?? 1024;
  if (requested !== undefined) return checkThreads(requested, options.source ?? 'threads', max);
  for (const name of ['ATKD_THREADS', ...(options.legacyVar !== undefined ? [options.legacyVar] : [])]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return checkThreads(Number(v), name, max, v);
  }
  return isMainThread ? Math.min(max, availableParallelism()) : 1;
}

function checkThreads(n: number, source: string, max: number, raw: unknown = n): number {
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${source}=${String(raw)} is not a thread count; use an integer from 1 to ${max}`);
  }
  return n;
}
