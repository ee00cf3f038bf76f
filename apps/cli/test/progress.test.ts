// The progress bar on a pipe: a line every 10 %, and the final state printed at the end.
import { describe, expect, it } from 'vitest';
import { StepProgress } from '../src/lib/progress.js';

function pipe(): { stream: NodeJS.WritableStream & { isTTY?: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(...s.split('\n').filter((l) => l !== '')), true) } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, lines };
}

describe('StepProgress on a pipe', () => {
  it('ends on the final count: not "149 batches" at 100 % when 150 were done', () => {
    const { stream, lines } = pipe();
    let t = 0;
    const bar = new StepProgress('atkd stage soft-targets', 100, { stream, unit: 'KiB', now: () => (t += 10) });
    // the input is read ahead of the batches written: 100 % of the bytes while batch 149 is written
    for (let b = 1; b <= 149; b++) bar.update(Math.min(100, b), b, `${b} batches`);
    bar.update(100, 150, '150 batches');
    bar.finish();
    expect(lines.at(-1)).toMatch(/100%.*150 batches$/);
    expect(lines.filter((l) => / 100%/.test(l)).length).toBe(2);
    // nothing new: nothing printed twice
    const n = lines.length;
    bar.finish();
    expect(lines.length).toBe(n);
  });
});
