import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where imported Arrow files live unless an explicit directory is given: `$ATKD_DATA_DIR` if set, else
 * `$XDG_CACHE_HOME/atkd/cifar-100`, else `~/.cache/atkd/cifar-100`.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATKD_DATA_DIR) return resolve(env.ATKD_DATA_DIR);
  const cache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(cache, 'atkd', 'cifar-100');
}

/**
 * The directory of the embedded sample (`train.arrow`, `test.arrow`) shipped with this package. Resolved
 * from this module's own location, so it works from `src/` (tests) and from `dist/` alike.
 */
export function sampleDataDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'sample');
}

/** Path of a split's Arrow file in a data directory. */
export function splitFile(dir: string, split: 'train' | 'test'): string {
  return join(dir, `${split}.arrow`);
}
