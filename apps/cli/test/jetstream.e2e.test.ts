// End-to-end over a real `nats-server -js` (loopback, free port, started and killed here): `atkd feed`,
// two `atkd serve teacher` processes (one SIGKILLed mid-epoch), every batch exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeIpcStream, encodeIpcStream, readImages, readLogits, TEACHER_LOGITS, withoutColumn } from '@atkd/columns';
import { batchSource, connectNats, ensureConsumer, jetstream, jetstreamManager, type Delivery, type NatsConnection } from '@atkd/jetstream';
import { startNatsServer, type NatsServer } from '@atkd/jetstream/testing';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifarBatches, epochLength } from '@atkd/data';
import { embeddedDefaults } from '../src/lib/defaults.js';
import { MAIN, ROOT, atkd } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-cli-nats-'));
const EMBEDDED = join(ROOT, 'apps', 'cli', 'assets', 'teacher-resnet20.pth');
let server: NatsServer;
let nc: NatsConnection;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nc?.close();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A long-running `atkd ...` process; `ready` resolves when stderr matches `when`. */
function spawnAtkd(args: string[], when = /ready:/): { child: ChildProcess; ready: Promise<void>; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (when.test(err)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`atkd ${args.join(' ')} exited (${code}) before it was ready:\n${err}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, ready, stderr: () => err, exited };
}

const until = async (what: string, f: () => Promise<boolean>, ms = 60_000) => {
  const t = Date.now();
  while (!(await f())) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('atkd feed and atkd serve teacher over NATS JetStream', () => {
  const EPOCHS = 2;
  const PER_EPOCH = 6;
  const feedArgs = (to: string) => ['feed', '--nats', server.url, '--to', to, '--epochs', String(EPOCHS), '--batch-size', '16', '--steps-per-epoch', String(PER_EPOCH), '--seed', '3', '--quiet'];

  it('feed publishes the in-process batches in order; feeding again adds nothing', async () => {
    const r = atkd(feedArgs('FEEDCHECK'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/12 batches published to FEEDCHECK \(0 were already there\)/);
    const again = atkd(feedArgs('FEEDCHECK'));
    expect(again.stderr).toMatch(/12 batches published to FEEDCHECK \(12 were already there\)/);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('FEEDCHECK')).state.messages).toBe(12);
    await ensureConsumer(jsm, 'FEEDCHECK', 'check');
    const got = await lastValueFrom(batchSource(jetstream(nc), { stream: 'FEEDCHECK', consumer: 'check', inFlight: 4 }).pipe(take(12), tap((d) => d.ack()), toArray()));
    // the in-process batches of atkd distill with the same flags
    const plan = { batchSize: 16, shuffle: true, augment: true, seed: 3, maxBatchesPerEpoch: PER_EPOCH, epochs: EPOCHS };
    const ref = await lastValueFrom(cifarBatches(embeddedDefaults().train, plan).pipe(toArray()));
    expect(epochLength(400, plan)).toBe(PER_EPOCH);
    expect(ref).toHaveLength(12);
    for (const d of got) {
      const b = ref[d.step];
      expect(d.epoch).toBe(b.epoch);
      expect(Array.from(d.batch.getChild('index')?.toArray() as Uint32Array)).toEqual(Array.from(b.indices));
      expect(Buffer.from(readImages(d.batch)).equals(Buffer.from(b.images))).toBe(true);
    }
    expect(got.map((d) => d.step)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('two teacher services, one SIGKILLed mid-epoch: every batch reaches the logits stream exactly once, with the in-process logits', async () => {
    const serve = ['serve', 'teacher', '--nats', server.url, '--from', 'RAW', '--to', 'LOGITS', '--teacher', EMBEDDED, '--arch', 'resnet20', '--ack-wait', '2', '--in-flight', '1'];
    const a = spawnAtkd(serve);
    const b = spawnAtkd(serve);
    await Promise.all([a.ready, b.ready]);
    const feed = atkd(feedArgs('RAW'));
    expect(feed.code, feed.stderr).toBe(0);
    const jsm = await jetstreamManager(nc);
    const count = async () => (await jsm.streams.info('LOGITS')).state.messages;
    await until('3 batches with logits', async () => (await count()) >= 3);
    a.child.kill('SIGKILL');
    await a.exited;
    await until('all 12 batches with logits', async () => (await count()) >= 12);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count()).toBe(12);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const stats = /stopped \(SIGTERM\): (\d+) batches, \d+ rows, (\d+) duplicates, (\d+) redeliveries/.exec(b.stderr());
    expect(stats, b.stderr()).not.toBeNull();
    // the killed one held a batch: the survivor got it again after the ack wait
    expect(Number(stats?.[3])).toBeGreaterThanOrEqual(1);

    await ensureConsumer(jsm, 'LOGITS', 'count');
    const got: Delivery[] = await lastValueFrom(batchSource(jetstream(nc), { stream: 'LOGITS', consumer: 'count', inFlight: 4 }).pipe(take(12), tap((d) => d.ack()), toArray()));
    const ids = got.map((d) => d.id).sort();
    expect(new Set(ids).size).toBe(12);
    expect(got.map((d) => d.step).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // the logits are those of the in-process teacher stage on the same batches
    const bySteps = [...got].sort((x, y) => x.step - y.step);
    const raw = join(work, 'raw.arrows');
    writeFileSync(raw, encodeIpcStream(bySteps.map((d) => withoutColumn(d.batch, TEACHER_LOGITS))));
    const st = atkd(['stage', 'teacher', '--teacher', EMBEDDED, '--arch', 'resnet20', '-i', raw, '-o', join(work, 'ref.arrows'), '--quiet']);
    expect(st.code, st.stderr).toBe(0);
    const ref = decodeIpcStream(readFileSync(join(work, 'ref.arrows'))).batches;
    expect(ref.length).toBe(12);
    ref.forEach((r, i) => {
      const want = readLogits(r, TEACHER_LOGITS).values;
      const have = readLogits(bySteps[i].batch, TEACHER_LOGITS).values;
      expect(Buffer.from(have.buffer, have.byteOffset, have.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `step ${i}`).toBe(true);
    });
  });
});
