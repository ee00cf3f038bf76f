/**
 * Test helpers: throw-away TLS certificates (a CA and a server certificate for 127.0.0.1, made with
 * the `openssl` CLI) and NATS decentralized auth (an operator, an account with JetStream, a user: NKeys
 * and JWTs made with @nats-io/jwt, and the user's `.creds` file). Nothing here is a real secret;
 * everything is written under a directory the caller removes.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';

export interface TestCertificates {
  /** The CA's certificate (PEM): what a client passes as `--tls-ca`. */
  caFile: string;
  /** The server's certificate (PEM; SAN IP:127.0.0.1 and DNS:localhost) and key. */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the TLS tests need the openssl CLI (Debian package openssl; .ci/run installs it)', { cause: e });
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() ?? String(e)}`, { cause: e });
  }
}

/** Makes a CA (`ca.pem`) and a server certificate signed by it (`server.pem`, `server.key`) in `dir`, valid for a day. */
export function makeTestCertificates(dir: string, name = 'atkd-test'): TestCertificates {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', `/CN=${name} CA`], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${name} server`], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext'], dir);
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

export interface TestOperator {
  /** The operator's JWT (the server's `operator:`). */
  operatorJwt: string;
  /** The account's public key and JWT (the server's `resolver_preload`), JetStream enabled. */
  accountPublicKey: string;
  accountJwt: string;
  /** The system account's public key and JWT (the server's `system_account`). */
  systemAccountPublicKey: string;
  systemAccountJwt: string;
  /** A user of the account: its `.creds` file (JWT + seed), and the JWT and seed as text (for "never printed" checks). */
  credsFile: string;
  userJwt: string;
  userSeed: string;
}

/**
 * An operator, a JetStream-enabled account and a user of it (their NKeys made here), with the user's
 * `.creds` file written to `dir/<name>.creds` (mode 0600).
 */
export async function makeTestOperator(dir: string, name = 'atkd'): Promise<TestOperator> {
  const okp = createOperator();
  const akp = createAccount();
  const skp = createAccount();
  const ukp = createUser();
  const operatorJwt = await encodeOperator(`${name}-operator`, okp, { system_account: skp.getPublicKey() });
  // no limits (the library's defaults are zero connections); JetStream on
  const unlimited = { subs: -1, data: -1, payload: -1, conn: -1, leaf: -1, imports: -1, exports: -1, wildcards: true, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const accountJwt = await encodeAccount(`${name}-account`, akp, { limits: unlimited }, { signer: okp });
  const systemAccountJwt = await encodeAccount('SYS', skp, {}, { signer: okp });
  const userJwt = await encodeUser(`${name}-user`, ukp, akp);
  const credsFile = join(dir, `${name}.creds`);
  writeFileSync(credsFile, fmtCreds(userJwt, ukp), { mode: 0o600 });
  return {
    operatorJwt,
    accountPublicKey: akp.getPublicKey(),
    accountJwt,
    systemAccountPublicKey: skp.getPublicKey(),
    systemAccountJwt,
    credsFile,
    userJwt,
    userSeed: new TextDecoder().decode(ukp.getSeed()),
  };
}

/** A user of another operator's account (same shape of `.creds`, but the server does not trust its issuer): written to `dir/<name>.creds`. */
export async function makeForeignCreds(dir: string, name = 'stranger'): Promise<string> {
  const akp = createAccount();
  const ukp = createUser();
  const file = join(dir, `${name}.creds`);
  writeFileSync(file, fmtCreds(await encodeUser(name, ukp, akp), ukp), { mode: 0o600 });
  return file;
}
