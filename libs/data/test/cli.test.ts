import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { listing, sourceFiles, tempDir, writeFolder } from './helpers.js';

describe('cli', () => {
  let log: string[];
  let err: string[];
  beforeEach(() => {
    log = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  it('imports a folder and prints info', async () => {
    const dir = await tempDir();
    const from = await writeFolder(join(dir, 'src'), sourceFiles(150, 40));
    const to = join(dir, 'out');
    expect(await main(['import', '--from', from, `--to=${to}`, '--quiet'])).toBe(0);
    expect(await listing(to)).toEqual(['test.arrow', 'train.arrow']);
    expect(log.join('\n')).toMatch(/wrote .*train\.arrow \(150 rows\)/);
    expect(await main(['info', join(to, 'test.arrow')])).toBe(0);
    expect(log.at(-1)).toMatch(/"rows": 40/);
  });

  it('names a bad flag, a missing value and a bad source', async () => {
    expect(await main(['import', '--form', 'x'])).toBe(2);
    expect(err.at(-1)).toMatch(/unknown flag --form/);
    expect(await main(['sample', '--from'])).toBe(2);
    expect(err.at(-1)).toMatch(/flag --from needs a value/);
    expect(await main(['sample', '--from', 'a', '--out', 'b', '--train-per-class', '0'])).toBe(2);
    expect(err.at(-1)).toMatch(/--train-per-class must be a positive integer/);
    expect(await main(['import', '--from', '/no/such/dir', '--quiet'])).toBe(1);
    expect(err.at(-1)).toMatch(/error: \/no\/such\/dir: not found/);
    expect(await main(['frobnicate'])).toBe(2);
  });
});
