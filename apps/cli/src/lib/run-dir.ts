/**
 * The run directory of `atkd train` / `atkd distill`:
 *
 *   config.json          the resolved configuration
 *   metrics.jsonl        one JSON object per line: {"type":"step",...} per step, {"type":"epoch",...} per epoch
 *   checkpoints/latest/  model.json + weights.bin (TF.js layers format), optimizer.bin, state.json
 *   checkpoints/best/    the same, at the best test top-1 so far
 *   summary.json         the outcome (status completed | interrupted, accuracies, temperature, throughput)
 *   plots/*.svg          written by `atkd report` (also at the end of a run)
 *
 * Every file is written atomically (`writeFileAtomicSync` / `writeJsonAtomicSync` of `@atkd/fs`: temp
 * file in the same directory, fsync, rename), so an interrupted write never leaves a half-written file behind. The checkpoints are `@atkd/runner`'s
 * (written and read by its `runEpochs`, `writeCheckpoint`, `readCheckpoint`).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '@atkd/fs';
import type { MetricRecord } from '@atkd/runner';

export const CONFIG_JSON = 'config.json';
export const METRICS_JSONL = 'metrics.jsonl';
export const SUMMARY_JSON = 'summary.json';

/** A problem with a run directory or a checkpoint; the message names the path. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Appends whole lines to `metrics.jsonl`. */
export class MetricsLog {
  readonly path: string;
  constructor(runDir: string) {
    this.path = join(runDir, METRICS_JSONL);
  }

  append(record: MetricRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every record (a torn last line, from a crash, is dropped). */
  read(): MetricRecord[] {
    return readMetrics(this.path);
  }

  /**
   * Keeps only the records written before the checkpoint at `step` (step records with step < `step`,
   * epoch records with step <= `step`), so a resumed run does not log a step twice.
   */
  truncateTo(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = this.read().filter((r) => (r.type === 'step' ? r.step < step : r.step <= step));
    writeFileAtomicSync(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) throw new RunDirError(`metrics file ${path} does not exist`);
  const out: MetricRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as MetricRecord);
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) throw new RunDirError(`${path}, line ${i + 1}: not valid JSON`);
    }
  });
  return out;
}
