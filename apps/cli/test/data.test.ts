// atkd data: the one data command line (the lib @atkd/data keeps plain functions). Bad input exits 2
// (usage) or 1 (data) with a message naming the flag or the path; checked in-process (nothing heavy runs).
import { describe, expect, it } from 'vitest';
import { atkdInProcess } from './run-cli.js';

describe('atkd data: bad input', () => {
  it.each([
    [['data', 'import', '--form', 'x'], 2, /unknown flag --form/],
    [['data', 'sample', '--from'], 2, /flag --from needs a value|--from.*value/],
    [['data', 'sample', '--from', 'a', '--out', 'b', '--train-per-class', '0'], 2, /flag --train-per-class/],
    [['data', 'sample', '--out', 'b'], 2, /atkd data sample: flag --from is required/],
    [['data', 'fetch', '--md5', 'xyz', '--quiet'], 2, /flag --md5 must be 32 hex digits, got "xyz"/],
    [['data', 'frobnicate'], 2, /atkd data: unknown subcommand "frobnicate" \(known: import, fetch, info, sample\)/],
    [['data', 'import', '--from', '/no/such/dir', '--quiet'], 1, /atkd data import: .*\/no\/such\/dir/],
  ])('atkd %j exits %i naming the problem', async (args, code, message) => {
    const r = await atkdInProcess(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
