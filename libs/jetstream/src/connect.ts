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
    throw new JetStreamError(connectFailure(where, options, e), { cause: e });
  }
}

/** Node's codes for a server certificate that does not verify (unknown CA, self-signed, expired, wrong host). */
const CERT_CODES = /^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_|ERR_TLS_CERT_ALTNAME)/;

/** A failed connect in words: which server, and what to do (never the secret). */
function connectFailure(where: string, options: NatsOptions, e: unknown): string {
  const msg = describeCause(e);
  const code = String((e as { code?: unknown }).code ?? '');
  if (/authoriz|authentic/i.test(msg) || /AUTH/i.test(code)) {
    const p = parseNatsUrl(options.url);
    const hint =
      options.credsFile !== undefined
        ? `the credentials in --nats-creds ${options.credsFile} are not accepted: another operator's or account's user, expired or revoked`
        : p.user !== undefined || p.token !== undefined
          ? 'the user/password or token in the URL is not accepted'
          : 'give a user or token in the URL, or --nats-creds FILE';
    return `${where} refused the connection: authorization violation (${hint})`;
  }
  if (/nkeys?:/i.test(msg) && options.credsFile !== undefined) return `${where}: cannot sign in with --nats-creds ${options.credsFile}: its nkey seed is damaged (${msg})`;
  if (/ECONNREFUSED|connection refused|CONNECTION_REFUSED/i.test(msg + code)) return `${where}: no server is listening there (connection refused); start one with \`nats-server -js\``;
  if (CERT_CODES.test(code) || /certificate/i.test(msg)) {
    const ca = options.tlsCaFile === undefined ? 'give --tls-ca FILE with the CA that signed it' : `the CA in --tls-ca ${options.tlsCaFile} did not sign it, or it does not name this host`;
    return `${where}: TLS failed: the server's certificate is not trusted (${msg}); ${ca}`;
  }
  if (/does not support 'tls'|tls.*not (available|supported)/i.test(msg)) return `${where}: TLS failed: the server does not offer TLS (${msg}); connect with nats:// and without --tls-ca, or turn TLS on in the server`;
  if (/tls|ssl/i.test(msg + code)) return `${where}: TLS failed (${msg}); give --tls-ca FILE for a private CA`;
  return `${where}: cannot connect (${msg})`;
}
