// The one progress bar: bytes and counted units, on a pipe (a line every 10 %, the final state at the end) and on a terminal.
import { describe, expect, it } from 'vitest';
import { ProgressBar, clock, formatProgress } from '../src/progress.js';

function sink(isTTY: boolean): { stream: NodeJS.WritableStream & { isTTY?: boolean }; lines: string[]; raw: string[] } {
  const lines: string[] = [];
  const raw: string[] = [];
  const stream = { isTTY, write: (s: string) => (raw.push(s), lines.push(...s.split('\n').filter((l) => l !== '')), true) } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, lines, raw };
}

describe('ProgressBar on a pipe', () => {
  it('ends on the final count: not "149 batches" at 100 % when 150 were done', () => {
    const { stream, lines } = sink(false);
    let t = 0;
    const bar = new ProgressBar('atkd stage soft-targets', 100, { stream, unit: 'KiB', rateUnit: 'rows/s', now: () => (t += 10) });
    // the input is read ahead of the batches written: 100 % of the bytes while batch 149 is written
    for (let b = 1; b <= 149; b++) bar.update(Math.min(100, b), { work: b, extra: `${b} batches` });
    bar.update(100, { work: 150, extra: '150 batches' });
    bar.finish();
    expect(lines.at(-1)).toMatch(/100%\s+100\/100 KiB\s+[\d.]+ rows\/s\s+ETA 0:00\s+150 batches$/);
    expect(lines.filter((l) => / 100%/.test(l)).length).toBe(2);
    // a line per 10 %: 1 %, 10 %, ..., 100 %, then the final one
    expect(lines.length).toBe(12);
    // nothing new: nothing printed twice
    const n = lines.length;
    bar.finish();
    expect(lines.length).toBe(n);
  });

  it('bytes: MB and MB/s, the total learnt by update, the final line once', () => {
    const { stream, lines } = sink(false);
    let t = 0;
    const bar = new ProgressBar('import', 0, { stream, now: () => (t += 500) });
    bar.update(1e6); // total unknown: no line on a pipe
    expect(lines).toEqual([]);
    bar.update(2e6, { total: 4e6 });
    bar.update(4e6, { total: 4e6 });
    bar.finish();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`import [${'#'.repeat(12)}${'.'.repeat(12)}]  50%  2.0/4.0 MB  2.0 MB/s  ETA 0:01`);
    expect(lines[1].startsWith(`import [${'#'.repeat(24)}] 100%  4.0/4.0 MB`)).toBe(true);
  });

  it('a resumed run counts rate and ETA from where it started; quiet prints nothing', () => {
    const { stream, lines } = sink(false);
    let t = 0;
    const bar = new ProgressBar('train', 100, { stream, unit: 'steps', startAt: 50, startWork: 6400, now: () => (t += 1000) });
    bar.update(60, { work: 6400 + 10 * 128 }); // 10 steps, 1,280 images in 1 s (the clock ticks once per call)
    expect(lines[0].endsWith('60/100 steps  1280.0 img/s  ETA 0:04')).toBe(true);
    const quiet = sink(false);
    const q = new ProgressBar('x', 10, { stream: quiet.stream, quiet: true, unit: 'steps' });
    q.update(10);
    q.finish();
    q.log('hidden');
    expect(quiet.raw).toEqual([]);
  });
});

describe('ProgressBar on a terminal', () => {
  it('redraws in place at most every 100 ms but always at 100 %, ends the line, and logs above the bar', () => {
    const { stream, raw } = sink(true);
    let t = 0;
    const bar = new ProgressBar('eval', 4, { stream, unit: 'batches', now: () => t });
    bar.update(1);
    t = 50;
    bar.update(2); // within 100 ms: not drawn
    t = 60;
    bar.update(4); // done: drawn anyway
    bar.log('note');
    bar.finish();
    expect(raw.filter((s) => s.startsWith('\r') && s.endsWith('\x1b[K') && s.includes('/4')).map((s) => /(\d+)\/4/.exec(s)?.[1])).toEqual(['1', '4']);
    expect(raw).toContain('note\n');
    expect(raw.at(-1)).toMatch(/^\reval \[#+\] 100%/);
    expect(raw.at(-1)?.endsWith('\x1b[K\n')).toBe(true);
  });
});

describe('formatting', () => {
  it('clock and an unknown byte total', () => {
    expect(clock(59.6)).toBe('1:00');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(Number.NaN)).toBe('--:--');
    expect(formatProgress({ label: 'dl', done: 3e6, total: 0, rate: 1.5e6, etaSeconds: Number.NaN, seconds: 2, unit: 'bytes', rateUnit: '', extra: '' })).toBe('dl 3.0 MB  1.5 MB/s  0:02');
    expect(formatProgress({ label: 'v', done: 0, total: 3, rate: 0, etaSeconds: Number.NaN, seconds: 0, unit: 'properties', rateUnit: 'runs/s', extra: 'p' }, 4)).toBe('v [....]   0%  0/3 properties  -- runs/s  ETA --:--  p');
  });
});
