// TLS and NATS decentralized auth (operator/JWT mode), against real nats-servers on free loopback
// ports, with a throw-away CA and server certificate (openssl) and NKeys/JWTs made here.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, ensureBatchStream, jetstreamManager, type NatsOptions } from '../src/index.js';
import { makeForeignCreds, makeTestCertificates, makeTestOperator, startNatsServer, type NatsServer, type TestCertificates, type TestOperator } from '../src/testing/nats-server.js';

const dir = mkdtempSync(join(tmpdir(), 'atkd-nats-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Connects, makes a stream (JetStream works for this client), closes; or resolves to the error's message. */
async function attempt(o: NatsOptions): Promise<string> {
  try {
    const nc = await connectNats({ ...o, timeoutMs: 3000 });
    try {
      await ensureBatchStream(await jetstreamManager(nc), 'SECURE');
    } finally {
      await nc.close();
    }
    return 'connected';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('TLS (a server with a tls block and a private CA)', () => {
  let server: NatsServer;
  let certs: TestCertificates;
  beforeAll(async () => {
    certs = makeTestCertificates(dir);
    server = await startNatsServer({ tls: certs });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connects with --tls-ca (nats:// upgraded, and tls://)', async () => {
    expect(await attempt({ url: server.url, tlsCaFile: certs.caFile })).toBe('connected');
    expect(await attempt({ url: server.url.replace('nats://', 'tls://'), tlsCaFile: certs.caFile })).toBe('connected');
  });

  it('a client without the CA, or with another CA, is refused with a message naming the server and the certificate problem', async () => {
    const host = `127\\.0\\.0\\.1:${server.port}`;
    expect(await attempt({ url: server.url })).toMatch(new RegExp(`^NATS server nats://${host}: TLS failed: the server's certificate is not trusted \\(unable to verify the first certificate\\); give --tls-ca FILE with the CA that signed it$`));
    expect(await attempt({ url: server.url.replace('nats://', 'tls://') })).toMatch(new RegExp(`^NATS server tls://${host}: TLS failed: the server's certificate is not trusted`));
    const otherDir = join(dir, 'other-ca');
    mkdirSync(otherDir);
    const other = makeTestCertificates(otherDir, 'someone-else');
    const wrong = await attempt({ url: server.url, tlsCaFile: other.caFile });
    expect(wrong).toMatch(new RegExp(`^NATS server nats://${host}: TLS failed: the server's certificate is not trusted \\(.+\\); the CA in --tls-ca ${other.caFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} did not sign it`));
  });

  it('--tls-ca on a server without TLS, and an unreadable CA file, are named', async () => {
    const plain = await startNatsServer();
    try {
      expect(await attempt({ url: plain.url, tlsCaFile: certs.caFile })).toMatch(/^NATS server nats:\/\/127\.0\.0\.1:\d+: TLS failed: the server does not offer TLS/);
    } finally {
      await plain.stop();
    }
    expect(await attempt({ url: server.url, tlsCaFile: join(dir, 'missing-ca.pem') })).toMatch(/^--tls-ca .*missing-ca\.pem: cannot read \(ENOENT/);
  });
});

describe('--nats-creds (a server in operator/JWT mode: MEMORY resolver with the account preloaded)', () => {
  let server: NatsServer;
  let op: TestOperator;
  beforeAll(async () => {
    op = await makeTestOperator(dir);
    server = await startNatsServer({ operator: op });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connects with the user\'s .creds file and uses JetStream', async () => {
    expect(readFileSync(op.credsFile, 'utf8')).toMatch(/-----BEGIN NATS USER JWT-----/);
    expect(await attempt({ url: server.url, credsFile: op.credsFile })).toBe('connected');
  });

  it('no creds, another operator\'s creds, a missing file and a damaged file are refused clearly, without a secret', async () => {
    expect(await attempt({ url: server.url })).toMatch(/^NATS server nats:\/\/127\.0\.0\.1:\d+ refused the connection: authorization violation \(give a user or token in the URL, or --nats-creds FILE\)$/);
    const foreign = await makeForeignCreds(dir);
    const refused = await attempt({ url: server.url, credsFile: foreign });
    expect(refused).toMatch(/^NATS server nats:\/\/127\.0\.0\.1:\d+ refused the connection: authorization violation \(the credentials in --nats-creds .*stranger\.creds are not accepted/);
    expect(await attempt({ url: server.url, credsFile: join(dir, 'nope.creds') })).toMatch(/^--nats-creds .*nope\.creds: cannot read \(ENOENT/);
    const notCreds = join(dir, 'not.creds');
    writeFileSync(notCreds, 'hello\n');
    expect(await attempt({ url: server.url, credsFile: notCreds })).toMatch(/^--nats-creds .*not\.creds: not a NATS credentials file/);
    // the JWT intact, the seed damaged: refused, and neither is echoed
    const damaged = join(dir, 'damaged.creds');
    writeFileSync(damaged, readFileSync(op.credsFile, 'utf8').replace(op.userSeed, `${op.userSeed.slice(0, 10)}AAAA${op.userSeed.slice(14)}`));
    const bad = await attempt({ url: server.url, credsFile: damaged });
    expect(bad).toMatch(/^NATS server nats:\/\/127\.0\.0\.1:\d+: cannot sign in with --nats-creds .*damaged\.creds: its nkey seed is damaged \(nkeys: invalid checksum\)$/);
    for (const m of [refused, bad]) {
      expect(m).not.toContain(op.userSeed.slice(4, 30));
      expect(m).not.toContain(op.userJwt.slice(40, 80));
      expect(m).not.toMatch(/SU[A-Z2-7]{20,}/); // no user seed at all
      expect(m).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
