// Long-running `atkd` processes for the NATS end-to-end tests (services, students that are killed,
// servers restarted under them), and polling until a condition holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN, ROOT } from './run-cli.js';

export interface AtkdProcess {
  child: ChildProcess;
  /** Resolves when stderr matches `when`; rejects when the process exits first. */
  ready: Promise<void>;
  stdout: () => string;
  stderr: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Every process spawned here, for the test file's afterAll to SIGKILL what is still running. */
export const spawned: ChildProcess[] = [];

export function killSpawned(): void {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** A long-running `atkd ...` process; `ready` resolves when stderr matches `when`. */
export function spawnAtkd(args: string[], when = /ready:/, env: Record<string, string> = {}): AtkdProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  spawned.push(child);
  let err = '';
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (when.test(err)) resolve();
    });
    void exited.then((code) => reject(new Error(`atkd ${args.join(' ')} exited (${code}) before it was ready:\n${err}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, stdout: () => out, stderr: () => err, exited };
}

/** Polls `f` every 100 ms until it is true; throws naming `what` after `ms`. */
export async function until(what: string, f: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const t = Date.now();
  while (!(await f())) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
