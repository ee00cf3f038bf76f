import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CifarArrowFile, sampleDataDir, stratifiedRows } from '../src/index.js';
import { statSync } from 'node:fs';

describe('the embedded sample', () => {
  it('lives next to the package and is small', () => {
    let total = 0;
    for (const split of ['train', 'test']) {
      const p = join(sampleDataDir(), `${split}.arrow`);
      expect(existsSync(p)).toBe(true);
      total += statSync(p).size;
    }
    expect(total).toBeLessThan(2.1e6);
  });

  it.each([
    ['train', 4, 50_000],
    ['test', 2, 10_000],
  ] as const)('%s: %i real images of every fine class, the first ones in the official order, with metadata saying so', async (split, k, sourceRows) => {
    const f = await CifarArrowFile.open(join(sampleDataDir(), `${split}.arrow`));
    await f.close();
    expect(f.numRows).toBe(100 * k);
    const perFine = new Array<number>(100).fill(0);
    f.fine.forEach((v) => perFine[v]++);
    expect(perFine).toEqual(new Array(100).fill(k));
    expect(f.meta.split).toBe(split);
    expect(f.meta.fineLabelNames).toHaveLength(100);
    expect(f.meta.source.records).toBe(sourceRows);
    expect(f.meta.sample?.perClass).toBe(k);
    expect(f.meta.sample?.rule).toMatch(/first \d+ rows of every fine class/);
    expect(f.meta.sample?.command).toMatch(/nx run data:sample/);
    // indices increase (file order kept) and are record numbers of the full split
    for (let i = 1; i < f.numRows; i++) expect(f.indices[i]).toBeGreaterThan(f.indices[i - 1]);
    expect(f.indices[f.numRows - 1]).toBeLessThan(sourceRows);
  });

  it('stratifiedRows takes the first k of every class and fails when a class is short', () => {
    const fine = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 100);
    const rows = stratifiedRows(fine, 3);
    expect(rows.length).toBe(300);
    const seen = new Map<number, number[]>();
    for (const r of rows) seen.set(fine[r], [...(seen.get(fine[r]) ?? []), r]);
    for (const [c, rs] of seen) expect(rs).toEqual([...Array(1000).keys()].filter((i) => fine[i] === c).slice(0, 3));
    expect(() => stratifiedRows(fine.subarray(0, 150), 2)).toThrow(/fine class \d+ has only 1 rows, 2 wanted/);
  });
});
