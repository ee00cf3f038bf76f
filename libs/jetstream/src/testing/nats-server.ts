/**
 * Test helper: a real `nats-server -js` on a free loopback port, with its store in a temporary
 * directory, stopped (SIGKILL after a grace period) and cleaned up by `stop()`. The one place the
 * workspace's tests start NATS (`@atkd/jetstream/testing`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { makeForeignCreds, makeTestCertificates, makeTestOperator, type TestCertificates, type TestOperator } from './secrets.js';

/** Where Debian's `nats-server` package installs the binary (`ATKD_NATS_SERVER` overrides). */
export function natsServerBinary(): string {
  const env = process.env['ATKD_NATS_SERVER'];
  if (env !== undefined && env !== '') return env;
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  return 'nats-server';
}

/** Whether a nats-server binary is present (tests fail with a clear message when not). */
export function hasNatsServer(): boolean {
  const b = natsServerBinary();
  return b.includes('/') ? existsSync(b) : true;
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`nats-server exited with code ${child.exitCode} before listening on 127.0.0.1:${port}:\n${log()}`));
      const s = tcpConnect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        // listening is not "JetStream ready": wait for the log line
        if (/Server is ready/.test(log())) resolve();
        else if (Date.now() > deadline) reject(new Error(`nats-server on port ${port} not ready after ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 50);
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface NatsServerOptions {
  /** Authorization: a user/password, or a token (the server refuses clients without it). */
  auth?: { user: string; pass: string } | { token: string };
  /** TLS required (a `tls {}` block with this certificate and key; see makeTestCertificates). */
  tls?: { certFile: string; keyFile: string };
  /** Decentralized auth (operator/JWT mode, MEMORY resolver with the accounts preloaded; see makeTestOperator). */
  operator?: { operatorJwt: string; systemAccountPublicKey: string; systemAccountJwt: string; accountPublicKey: string; accountJwt: string };
  /** Reuse this store directory (and port) — for a restart. */
  storeDir?: string;
  port?: number;
  /** Milliseconds to wait for the server to be ready (default 10 s). */
  readyTimeoutMs?: number;
}

export interface NatsServer {
  /** `nats://127.0.0.1:PORT` (no credentials; the scheme stays nats:// with TLS too: the client upgrades when the server asks). */
  url: string;
  port: number;
  /** The server process's pid (for CPU accounting in benchmarks). */
  pid: number;
  storeDir: string;
  /** The server's stderr so far. */
  log(): string;
  /** Stops the server (SIGTERM, SIGKILL after 3 s); `keepStore` leaves the store for a restart. */
  stop(keepStore?: boolean): Promise<void>;
  /** Stops and starts it again on the same port and store (JetStream state survives). */
  restart(): Promise<NatsServer>;
}

/** The config file for the auth / TLS / operator options ('' when none is given). */
function serverConfig(options: NatsServerOptions): string {
  const lines: string[] = [];
  const a = options.auth;
  if (a !== undefined) lines.push('user' in a ? `authorization { user: ${JSON.stringify(a.user)}, password: ${JSON.stringify(a.pass)} }` : `authorization { token: ${JSON.stringify(a.token)} }`);
  if (options.tls !== undefined) lines.push(`tls { cert_file: ${JSON.stringify(options.tls.certFile)}, key_file: ${JSON.stringify(options.tls.keyFile)}, timeout: 5 }`);
  const o = options.operator;
  if (o !== undefined) {
    lines.push(`operator: ${o.operatorJwt}`, `system_account: ${o.systemAccountPublicKey}`, 'resolver: MEMORY');
    lines.push(`resolver_preload: {\n  ${o.accountPublicKey}: ${o.accountJwt}\n  ${o.systemAccountPublicKey}: ${o.systemAccountJwt}\n}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Starts `nats-server -js -sd <tmp> -p <free port> -a 127.0.0.1` (loopback only) and waits until it is ready. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'atkd-nats-'));
  const port = options.port ?? (await freePort());
  const args = ['-js', '-sd', storeDir, '-p', String(port), '-a', '127.0.0.1'];
  const conf = serverConfig(options);
  if (conf !== '') {
    // credentials go in a config file, not on the command line (ps would show them)
    const file = join(storeDir, 'server.conf');
    writeFileSync(file, conf, { mode: 0o600 });
    args.push('-c', file);
  }
  const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start ${natsServerBinary()}: ${e.message} (install Debian's nats-server, or set ATKD_NATS_SERVER)`))));
  const log = () => stderr;
  const stop = async (keepStore = false): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepStore && options.storeDir === undefined) rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitForPort(port, options.readyTimeoutMs ?? 10_000, child, log), spawnError]);
  } catch (e) {
    await stop();
    throw e;
  }
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    storeDir,
    log,
    stop,
    async restart() {
      await stop(true);
      const next = await startNatsServer({ ...options, storeDir, port });
      // the restarted one owns the store now; its stop() must clean it up unless a storeDir was given
      const ownStore = options.storeDir === undefined;
      return { ...next, stop: async (keep = false) => { await next.stop(true); if (!keep && ownStore) rmSync(storeDir, { recursive: true, force: true }); } };
    },
  };
  return server;
}
