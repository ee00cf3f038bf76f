// Nobody joins who should not, and no secret is printed: a teacher service, a feeder and a student
// over TLS with a private CA and NATS credentials (operator/JWT mode), and over a user:password URL,
// against real nats-servers on free loopback ports; the refusals say what is wrong in one line.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, jetstreamManager, type NatsOptions } from '@atkd/jetstream';
import { makeForeignCreds, makeTestCertificates, makeTestOperator, startNatsServer, type NatsServer } from '@atkd/jetstream/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { killSpawned, spawnAtkd, until } from './nats-processes.js';
import { ROOT, atkd } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-cli-nats-auth-'));
const EMBEDDED = join(ROOT, 'apps', 'cli', 'assets', 'teacher-resnet20.pth');
const servers: NatsServer[] = [];
afterAll(async () => {
  killSpawned();
  for (const s of servers) await s.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Every file under `dir` as text (the run directory: config, checkpoints' state, logs). */
function textOfTree(dir: string): string {
  let all = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    all += statSync(p).isDirectory() ? textOfTree(p) : readFileSync(p).toString('latin1');
  }
  return all;
}

/**
 * A teacher service, a feeder and a student (2 batches of 16) with the connection flags `conn` and
 * the student's `--source` URL; returns everything they printed, and the run directory.
 */
async function pipeline(name: string, conn: string[], url: string, check: NatsOptions): Promise<{ printed: string; runDir: string }> {
  const serve = spawnAtkd(['serve', 'teacher', ...conn, '--from', `${name}_RAW`, '--to', `${name}_LOGITS`, '--teacher', EMBEDDED, '--arch', 'resnet20']);
  await serve.ready;
  const feed = atkd(['feed', ...conn, '--to', `${name}_RAW`, '--epochs', '1', '--batch-size', '16', '--steps-per-epoch', '2', '--seed', '3']);
  expect(feed.code, feed.stderr).toBe(0);
  expect(feed.stderr).toMatch(new RegExp(`2 batches published to ${name}_RAW`));
  const nc = await connectNats(check);
  try {
    const jsm = await jetstreamManager(nc);
    await until('2 batches with logits', async () => (await jsm.streams.info(`${name}_LOGITS`)).state.messages >= 2);
  } finally {
    await nc.close();
  }
  const runDir = join(work, name);
  const connNoUrl = conn.filter((_, i) => conn[i] !== '--nats' && conn[i - 1] !== '--nats');
  const student = atkd(['distill', '--source', `${url}/${name}_LOGITS`, ...connNoUrl, '--epochs', '1', '--batch-size', '16', '--steps-per-epoch', '2', '--seed', '3', '--test-limit', '32', '--eval-batch-size', '32', '--no-plots', '--out', runDir]);
  expect(student.code, student.stderr).toBe(0);
  expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).steps).toBe(2);
  serve.child.kill('SIGTERM');
  expect(await serve.exited).toBe(0);
  expect(serve.stderr()).toMatch(/stopped \(SIGTERM\): 2 batches/);
  return { printed: [serve.stdout(), serve.stderr(), feed.stdout, feed.stderr, student.stdout, student.stderr].join('\n'), runDir };
}

describe('TLS with a private CA and --nats-creds (operator/JWT mode)', () => {
  it('service, feeder and student connect with --tls-ca and --nats-creds over tls://, print no secret; without them they are refused in one clear line', async () => {
    const certs = makeTestCertificates(work);
    const op = await makeTestOperator(work);
    const server = await startNatsServer({ tls: certs, operator: op });
    servers.push(server);
    const url = server.url.replace('nats://', 'tls://');
    const conn = ['--nats', url, '--tls-ca', certs.caFile, '--nats-creds', op.credsFile];
    const { printed, runDir } = await pipeline('SEC', conn, url, { url, tlsCaFile: certs.caFile, credsFile: op.credsFile });
    const secrets = [op.userSeed, op.userSeed.slice(2, 30), op.userJwt.split('.')[1].slice(0, 40), op.userJwt.split('.')[2]];
    for (const s of secrets) {
      expect(printed).not.toContain(s);
      expect(textOfTree(runDir)).not.toContain(s);
    }
    expect(printed).not.toMatch(/SU[A-Z2-7]{40,}/); // no user seed of any kind

    const host = `127\\.0\\.0\\.1:${server.port}`;
    const feed1 = ['--to', 'SEC_RAW', '--epochs', '1', '--steps-per-epoch', '1', '--quiet'];
    const noCa = atkd(['feed', '--nats', url, '--nats-creds', op.credsFile, ...feed1]);
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(new RegExp(`^atkd feed: NATS server tls://${host}: TLS failed: the server's certificate is not trusted \\(unable to verify the first certificate\\); give --tls-ca FILE with the CA that signed it\\n$`));
    const noCreds = atkd(['feed', '--nats', url, '--tls-ca', certs.caFile, ...feed1]);
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toMatch(new RegExp(`^atkd feed: NATS server tls://${host} refused the connection: authorization violation \\(give a user or token in the URL, or --nats-creds FILE\\)\\n$`));
    const foreign = await makeForeignCreds(work);
    const stranger = atkd(['distill', '--source', `${url}/SEC_LOGITS`, '--tls-ca', certs.caFile, '--nats-creds', foreign, '--epochs', '1', '--quiet', '--no-plots', '--out', join(work, 'stranger')]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/refused the connection: authorization violation \(the credentials in --nats-creds .*stranger\.creds are not accepted/);
    const missing = atkd(['serve', 'temperature', '--nats', url, '--tls-ca', certs.caFile, '--nats-creds', join(work, 'nope.creds'), '--from', 'A', '--to', 'B']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--nats-creds .*nope\.creds: cannot read \(ENOENT/);
    for (const r of [noCa, noCreds, stranger, missing]) {
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      for (const s of secrets) expect(r.stderr).not.toContain(s);
    }
  });
});

describe('a user:password URL', () => {
  it('service, feeder and student connect with it and never print the password (redacted URLs, none in the run directory)', async () => {
    const pass = 'hunter2-Secret-77';
    const server = await startNatsServer({ auth: { user: 'atkd', pass } });
    servers.push(server);
    const url = server.url.replace('nats://', `nats://atkd:${pass}@`);
    const { printed, runDir } = await pipeline('PW', ['--nats', url], url, { url });
    expect(printed).not.toContain(pass);
    expect(printed).not.toContain('hunter2');
    expect(printed).toMatch(/on nats:\/\/\*\*\*@127\.0\.0\.1:\d+/); // the service's and the feeder's redacted URL
    expect(textOfTree(runDir)).not.toContain('hunter2');
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).source).toMatch(/^nats:\/\/\*\*\*@127\.0\.0\.1:\d+\/PW_LOGITS$/);
    const wrong = atkd(['distill', '--source', `${server.url.replace('nats://', 'nats://atkd:hunter2-wrong@')}/PW_LOGITS`, '--epochs', '1', '--quiet', '--no-plots', '--out', join(work, 'wrong')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/NATS server nats:\/\/\*\*\*@127\.0\.0\.1:\d+ refused the connection: authorization violation \(the user\/password or token in the URL is not accepted\)/);
    expect(wrong.stderr).not.toContain('hunter2');
  });
});
