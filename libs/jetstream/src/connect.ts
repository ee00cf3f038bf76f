/**
 * Connecting to NATS with NATS's own credentials and TLS: a user/password or a token in the URL
 * (`nats://user:pass@host:4222`, `nats://TOKEN@host:4222`), a `.creds` file (JWT + nkey seed), a CA
 * file for TLS. Secrets are never printed: every message uses {@link redactUrl}.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { JetStreamError, describeCause } from './errors.js';

export interface NatsOptions {
  /** `nats://[user[:pass]@|token@]host[:port]` (`tls://` asks for TLS). */
  url: string;
  /** A NATS credentials file (`--nats-creds FILE`). */
  credsFile?: string;
  /** A CA certificate (PEM) to verify the server's TLS certificate (`--tls-ca FILE`); implies TLS. */
  tlsCaFile?: string;
  /** Client name shown by the server (e.g. `atkd-serve-teacher`). */
  name?: string;
  /** Keep reconnecting forever (services) or give up after this many attempts (default: forever). */
  maxReconnectAttempts?: number;
  /** Milliseconds for the first connect (default 5000). */
  timeoutMs?: number;
}

/** The URL with any user, password or token replaced by `***` (safe to print). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)([^@/]*)@/i, (_m, scheme: string) => `${scheme}***@`);
}

/** Splits a NATS URL into a server address without credentials and the credentials it carried. */
export function parseNatsUrl(url: string): { server: string; user?: string; pass?: string; token?: string; tls: boolean } {
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `nats://${url}`);
  } catch {
    throw new JetStreamError(`--nats ${redactUrl(url)}: not a NATS URL (expected nats://host:port)`);
  }
  if (!['nats:', 'tls:'].includes(u.protocol)) throw new JetStreamError(`--nats ${redactUrl(url)}: unsupported scheme ${u.protocol} (expected nats:// or tls://)`);
  if (u.hostname === '') throw new JetStreamError(`--nats ${redactUrl(url)}: no host`);
  const server = `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port === '' ? '4222' : u.port}`;
  const user = u.username === '' ? undefined : decodeURIComponent(u.username);
  const pass = u.password === '' ? undefined : decodeURIComponent(u.password);
  const tls = u.protocol === 'tls:';
  if (user !== undefined && pass === undefined) return { server, token: user, tls };
  return { server, user, pass, tls };
}

function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new JetStreamError(`${flag} ${path}: cannot read (${describeCause(e)})`);
  }
}

/** The client options for {@link NatsOptions} (credentials taken out of the URL). */
export function connectionOptions(options: NatsOptions): NodeConnectionOptions {
  const p = parseNatsUrl(options.url);
  const o: NodeConnectionOptions = {
    servers: p.server,
    name: options.name,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: 250,
    timeout: options.timeoutMs ?? 5000,
  };
  if (p.token !== undefined) o.token = p.token;
  if (p.user !== undefined) {
    o.user = p.user;
    o.pass = p.pass;
  }
  if (options.credsFile !== undefined) {
    const creds = readFile(options.credsFile, '--nats-creds');
    if (!/-----BEGIN NATS USER JWT-----/.test(creds)) throw new JetStreamError(`--nats-creds ${options.credsFile}: not a NATS credentials file (no "BEGIN NATS USER JWT" block)`);
    o.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  }
  if (options.tlsCaFile !== undefined || p.tls) {
    o.tls = options.tlsCaFile !== undefined ? { ca: readFile(options.tlsCaFile, '--tls-ca') } : {};
  }
  return o;
}

/**
 * Connects; errors say what went wrong in words, naming the server (never a secret): refused
 * authorization, no server listening, TLS required or failed.
 */
export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  const o = connectionOptions(options);
  const where = `NATS server ${redactUrl(options.url)}`;
  try {
    return await connect(o);
  } catch (e) {
    const msg = describeCause(e);
    const code = (e as { code?: string }).code ?? '';
    if (/authoriz|authentic|AUTHORIZATION/i.test(msg) || /AUTH/i.test(code)) {
      throw new JetStreamError(`${where} refused the connection: authorization violation (give a user or token in the URL, or --nats-creds FILE)`, { cause: e });
    }
    if (/ECONNREFUSED|connection refused|CONNECTION_REFUSED/i.test(msg + code)) {
      throw new JetStreamError(`${where}: no server is listening there (connection refused); start one with \`nats-server -js\``, { cause: e });
    }
    if (/tls/i.test(msg)) throw new JetStreamError(`${where}: TLS failed (${msg}); give --tls-ca FILE for a private CA`, { cause: e });
    throw new JetStreamError(`${where}: cannot connect (${msg})`, { cause: e });
  }
}
