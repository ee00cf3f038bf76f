/**
 * A one-line progress bar for byte counts on stderr: `label [#####.....]  45%  72.1/161.2 MB  5.1 MB/s  ETA 0:17`.
 * Redrawn in place on a terminal (at most every 100 ms); on a pipe it prints a line every 10 %.
 */
export interface ProgressBarOptions {
  /** Where to write (default `process.stderr`). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Print nothing (default false). */
  quiet?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** Seconds as `m:ss` or `h:mm:ss` (ETA and elapsed times of progress bars); `--:--` when unknown. */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** Formats one progress line (exported for tests). `total` 0 means unknown. */
export function formatProgress(label: string, done: number, total: number, seconds: number, width = 24): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const rateText = `${mb(rate)} MB/s`;
  if (total > 0) {
    const f = Math.min(1, done / total);
    const fill = Math.round(f * width);
    const eta = rate > 0 ? (total - done) / rate : Number.NaN;
    return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${mb(done)}/${mb(total)} MB  ${rateText}  ETA ${clock(eta)}`;
  }
  return `${label} ${mb(done)} MB  ${rateText}  ${clock(seconds)}`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly quiet: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastTenth = -1;
  private done = 0;

  constructor(
    private readonly label: string,
    private total: number,
    options: ProgressBarOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Sets the bytes done (and the total, if it became known) and redraws if due. */
  update(done: number, total = this.total): void {
    this.done = done;
    this.total = total;
    if (this.quiet) return;
    const t = this.now();
    if (this.stream.isTTY) {
      if (t - this.lastDraw < 100) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line(t)}\x1b[K`);
    } else {
      const tenth = this.total > 0 ? Math.floor((10 * this.done) / this.total) : -1;
      if (tenth <= this.lastTenth) return;
      this.lastTenth = tenth;
      this.stream.write(`${this.line(t)}\n`);
    }
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (this.quiet) return;
    const t = this.now();
    if (this.stream.isTTY) this.stream.write(`\r${this.line(t)}\x1b[K\n`);
    else if (this.total <= 0 || Math.floor((10 * this.done) / this.total) > this.lastTenth) this.stream.write(`${this.line(t)}\n`);
  }

  private line(t: number): string {
    return formatProgress(this.label, this.done, this.total, (t - this.start) / 1000);
  }
}
