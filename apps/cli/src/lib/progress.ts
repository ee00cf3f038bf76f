/**
 * A one-line progress bar for counted work (steps, images) on stderr:
 * `epoch 3/8 [#########...............]  37%  52/140 steps  61.2 img/s  ETA 0:42  loss 2.31`.
 * Redrawn in place on a terminal (at most every 100 ms); on a pipe it prints a line every 10 %.
 */
import { clock } from '@atkd/data';

export interface StepProgressOptions {
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw nothing. */
  quiet?: boolean;
  /** Unit of the count, e.g. `steps` or `images`. */
  unit?: string;
  /** Unit of the rate (default `img/s`). */
  rateUnit?: string;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Count already done when the bar starts (a resumed run): the rate and ETA count from there. */
  startAt?: number;
  /** Work (e.g. images) already done when the bar starts. */
  startWork?: number;
}

/** Formats one progress line (exported for tests). */
export function formatStepProgress(label: string, done: number, total: number, rate: number, etaSeconds: number, unit: string, rateUnit: string, extra = '', width = 24): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const fill = Math.round(f * width);
  const rateText = Number.isFinite(rate) && rate > 0 ? `${rate.toFixed(1)} ${rateUnit}` : `-- ${rateUnit}`;
  return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${done}/${total} ${unit}  ${rateText}  ETA ${clock(etaSeconds)}${extra ? `  ${extra}` : ''}`;
}

export class StepProgress {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly quiet: boolean;
  private readonly now: () => number;
  private readonly unit: string;
  private readonly rateUnit: string;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastTenth = -1;
  private done = 0;
  private work = 0;
  private readonly startAt: number;
  private readonly startWork: number;
  private extra = '';
  private drawn = false;
  /** What the last line printed on a pipe showed (count and trailing text). */
  private printed = '';

  constructor(
    private label: string,
    private readonly total: number,
    options: StepProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.now = options.now ?? (() => performance.now());
    this.unit = options.unit ?? 'steps';
    this.rateUnit = options.rateUnit ?? 'img/s';
    this.start = this.now();
    this.startAt = options.startAt ?? 0;
    this.startWork = options.startWork ?? 0;
  }

  /**
   * Sets the count done (of `total`), the work done for the rate (e.g. images; default = count),
   * an optional trailing text, and redraws when due.
   */
  update(done: number, work = done, extra = this.extra, label = this.label): void {
    this.done = done;
    this.work = work;
    this.extra = extra;
    this.label = label;
    if (this.quiet) return;
    const t = this.now();
    if (this.stream.isTTY) {
      if (t - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line(t)}\x1b[K`);
      this.drawn = true;
    } else {
      const tenth = this.total > 0 ? Math.floor((10 * done) / this.total) : -1;
      if (tenth <= this.lastTenth) return;
      this.lastTenth = tenth;
      this.printed = `${done}|${this.extra}`;
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
    else if (!this.stream.isTTY && this.printed !== '' && this.printed !== `${this.done}|${this.extra}`) {
      this.printed = `${this.done}|${this.extra}`;
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

  private line(t: number): string {
    const seconds = (t - this.start) / 1000;
    const rate = seconds > 0 ? (this.work - this.startWork) / seconds : 0;
    const perUnit = this.done > this.startAt ? seconds / (this.done - this.startAt) : Number.NaN;
    return formatStepProgress(this.label, this.done, this.total, rate, perUnit * (this.total - this.done), this.unit, this.rateUnit, this.extra);
  }
}
