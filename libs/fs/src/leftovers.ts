import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A leftover of atkd's atomic writers: `.NAME.tmp-PID[-suffix]` (a temp file of {@link tempPathFor},
 * or a checkpoint directory being assembled) or `.NAME.old-PID` (a checkpoint swapped out).
 */
const LEFTOVER = /^\.(.+)\.(tmp|old)-(\d+)(?:-[0-9a-z]+)?$/;

/**
 * Removes what writers that were killed before they could clean up (their process is gone) left in
 * `dir`: temp files and checkpoint directories being assembled (`.NAME.tmp-PID[-suffix]`), and a
 * swapped-out `.NAME.old-PID` once `NAME` itself is back (before that it is the only copy, which
 * readers fall back to). Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = LEFTOVER.exec(name);
    if (m === null) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || alive(pid)) continue;
    if (m[2] === 'old' && !names.includes(m[1])) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
