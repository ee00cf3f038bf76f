/**
 * The one progress bar of atkd (data import and download, training, evaluation, stage filters,
 * verify): a line on stderr with the bar, the count, the rate and the ETA, e.g.
 *
 *   download [##########..............]  45%  72.1/161.2 MB  5.1 MB/s  ETA 0:17          (unit 'bytes')
 *   epoch 3/8 [#########...............]  37%  52/140 steps  61.2 img/s  ETA 0:42  loss 2.31
 *
 * Redrawn in place on a terminal (at most every 100 ms, and always at 100 %); on a pipe it prints a
 * line every 10 %, and at `finish()` the final state unless the last line printed showed it.
 */
export interface ProgressBarOptions {
  /** Where to write (default `process.stderr`). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Print nothing (default false). */
  quiet?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Unit of the count: `bytes` (shown in MB, the rate in MB/s; the default) or a name such as `steps`, `batches`, `KiB`. */
  unit?: string;
  /** Unit of the rate of a counted unit (default `img/s`); the rate is of the work passed to `update` (default the count). */
  rateUnit?: string;
  /** Count already done when the bar starts (a resumed run): the rate and ETA count from there. */
  startAt?: number;
  /** Work (e.g. images) already done when the bar starts. */
  startWork?: number;
}

/** What an `update` may change besides the count. */
export interface ProgressUpdate {
  /** The total, once it is known (0: unknown). */
  total?: number;
  /** The work done, for the rate (e.g. images; default the count). */
  work?: number;
  /** A trailing text (e.g. `loss 2.31`). */
  extra?: string;
  /** A new label (e.g. the next epoch). */
  label?: string;
}

/** One line's contents (see {@link formatProgress}). */
export interface ProgressLine {
  label: string;
  done: number;
  /** 0: unknown (no bar; elapsed time instead of the ETA for bytes). */
  total: number;
  /** Work per second. */
  rate: number;
  etaSeconds: number;
  /** Seconds since the start (shown for bytes when the total is unknown). */
  seconds: number;
  unit: string;
  rateUnit: string;
  extra: string;
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

/** Formats one progress line (exported for tests). */
export function formatProgress(p: ProgressLine, width = 24): string {
  const bytes = p.unit === 'bytes';
  const tail = p.extra ? `  ${p.extra}` : '';
  const rateText = bytes ? `${mb(p.rate)} MB/s` : Number.isFinite(p.rate) && p.rate > 0 ? `${p.rate.toFixed(1)} ${p.rateUnit}` : `-- ${p.rateUnit}`;
  if (bytes && p.total <= 0) return `${p.label} ${mb(p.done)} MB  ${rateText}  ${clock(p.seconds)}${tail}`;
  const f = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const fill = Math.round(f * width);
  const count = bytes ? `${mb(p.done)}/${mb(p.total)} MB` : `${p.done}/${p.total} ${p.unit}`;
  return `${p.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${count}  ${rateText}  ETA ${clock(p.etaSeconds)}${tail}`;
}

export class ProgressBar {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly quiet: boolean;
  private readonly now: () => number;
  private readonly unit: string;
  private readonly rateUnit: string;
  private readonly startAt: number;
  private readonly startWork: number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastTenth = -1;
  private done = 0;
  private work = 0;
  private extra = '';
  private updated = false;
  private drawn = false;
  /** The state the last line printed on a pipe showed. */
  private printed = '';

  constructor(
    private label: string,
    private total: number,
    options: ProgressBarOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.now = options.now ?? (() => performance.now());
    this.unit = options.unit ?? 'bytes';
    this.rateUnit = options.rateUnit ?? 'img/s';
    this.startAt = options.startAt ?? 0;
    this.startWork = options.startWork ?? 0;
    this.start = this.now();
  }

  /** Sets the count done (and what `more` names) and redraws when due. */
  update(done: number, more: ProgressUpdate = {}): void {
    this.done = done;
    this.work = more.work ?? done;
    if (more.total !== undefined) this.total = more.total;
    if (more.extra !== undefined) this.extra = more.extra;
    if (more.label !== undefined) this.label = more.label;
    this.updated = true;
    if (this.quiet) return;
    const t = this.now();
    if (this.stream.isTTY) {
      if (t - this.lastDraw < 100 && !(this.total > 0 && done >= this.total)) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line(t)}\x1b[K`);
      this.drawn = true;
    } else {
      const tenth = this.total > 0 ? Math.floor((10 * done) / this.total) : -1;
      if (tenth <= this.lastTenth) return;
      this.lastTenth = tenth;
      this.printed = this.state();
      this.stream.write(`${this.line(t)}\n`);
    }
  }

  /**
   * Ends the bar's line (on a terminal); on a pipe, prints the final state unless the last line
   * printed showed it (the last line must not say 149 batches when 150 were done).
   */
  finish(): void {
    if (this.quiet) return;
    if (this.stream.isTTY && this.drawn) this.stream.write(`\r${this.line(this.now())}\x1b[K\n`);
    else if (!this.stream.isTTY && this.updated && this.printed !== this.state()) {
      this.printed = this.state();
      this.stream.write(`${this.line(this.now())}\n`);
    }
    this.drawn = false;
  }

  /** Writes a message above the bar (clearing the bar's line first on a terminal). */
  log(message: string): void {
    if (this.quiet) return;
    if (this.stream.isTTY && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${message}\n`);
    if (this.stream.isTTY && this.drawn) this.stream.write(this.line(this.now()));
  }

  private state(): string {
    return `${this.done}/${this.total}|${this.extra}`;
  }

  private line(t: number): string {
    const seconds = (t - this.start) / 1000;
    const rate = seconds > 0 ? (this.work - this.startWork) / seconds : 0;
    const perUnit = this.done > this.startAt ? seconds / (this.done - this.startAt) : Number.NaN;
    return formatProgress({
      label: this.label, done: this.done, total: this.total, rate, etaSeconds: perUnit * (this.total - this.done), seconds,
      unit: this.unit, rateUnit: this.rateUnit, extra: this.extra,
    });
  }
}
