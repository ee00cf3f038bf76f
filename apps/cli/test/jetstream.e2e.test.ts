// End-to-end over a real `nats-server -js` (loopback, free port, started and killed here): `atkd feed`,
// two `atkd serve teacher` processes (one SIGKILLed mid-epoch), every batch exactly once.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeIpcStream, encodeIpcStream, readImages, readLogits, TEACHER_LOGITS, withoutColumn } from '@atkd/columns';
import { HEADERS, batchMessageId, batchSource, batchSubject, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager, type Delivery, type JetStreamManager, type NatsConnection } from '@atkd/jetstream';
import { startNatsServer, type NatsServer } from '@atkd/jetstream/testing';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cifarBatches, epochLength } from '@atkd/data';
import { embeddedDefaults } from '../src/lib/defaults.js';
import { killSpawned, spawnAtkd, until } from './nats-processes.js';
import { ROOT, atkd } from './run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'atkd-cli-nats-'));
const EMBEDDED = join(ROOT, 'apps', 'cli', 'assets', 'teacher-resnet20.pth');
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
});
afterAll(async () => {
  killSpawned();
  await nc?.close();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

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
    // RAW holds the 12 batches before any service runs
    const feed = atkd(feedArgs('RAW'));
    expect(feed.code, feed.stderr).toBe(0);
    const jsm = await jetstreamManager(nc);
    const count = async () => (await jsm.streams.info('LOGITS')).state.messages;
    // A alone: while RAW has more it holds a batch at almost every moment. It is frozen (SIGSTOP) holding
    // one as the server sees it, once any ack it sent before the signal has arrived; caught again otherwise.
    const a = spawnAtkd(serve);
    await a.ready;
    for (let attempt = 1; ; attempt++) {
      a.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 150));
      if ((await jsm.consumers.info('RAW', 'atkd-teacher-LOGITS')).num_ack_pending >= 1) break;
      expect(attempt, 'service A never held a batch when frozen').toBeLessThan(20);
      a.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 5 * attempt));
    }
    expect(await count()).toBeLessThan(12);
    // B does the rest, and after the ack wait (2 s) the batch A holds; then A is killed
    const b = spawnAtkd(serve);
    await b.ready;
    await until('11 batches with logits', async () => (await count()) >= 11);
    a.child.kill('SIGKILL');
    await a.exited;
    await until('all 12 batches with logits', async () => (await count()) >= 12);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count()).toBe(12);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const stats = /stopped \(SIGTERM\): (\d+) batches, \d+ rows, (\d+) duplicates, (\d+) redeliveries/.exec(b.stderr());
    expect(stats, b.stderr()).not.toBeNull();
    // the killed one held a batch: the survivor got it again after the ack wait (and no batch twice in LOGITS)
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

  // (after the test above: stream LOGITS holds 2 epochs x 6 batches of 16 with the teacher's logits)
  it('distill --source: the student trains from the stream to the weights of the in-process run; two students read it independently; killed and resumed it ends the same', async () => {
    const common = ['--epochs', '2', '--batch-size', '16', '--steps-per-epoch', '6', '--seed', '3', '--test-limit', '32', '--eval-batch-size', '32', '--no-plots', '--quiet'];
    const source = `${server.url}/LOGITS`;
    const inproc = join(work, 'inproc');
    const fromStream = join(work, 'stream');
    const r1 = atkd(['distill', ...common, '--out', inproc]);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = atkd(['distill', ...common, '--source', source, '--out', fromStream]);
    expect(r2.code, r2.stderr).toBe(0);
    const ck = (dir: string, f: string) => readFileSync(join(dir, 'checkpoints', 'latest', f));
    for (const f of ['weights.bin', 'optimizer.bin']) expect(ck(fromStream, f).equals(ck(inproc, f)), f).toBe(true);
    const s2 = JSON.parse(readFileSync(join(fromStream, 'summary.json'), 'utf8')) as { steps: number; teacher: unknown; student: { top1: number } };
    expect(s2.steps).toBe(12);
    expect(s2.teacher).toBeNull(); // no teacher in the student's process
    const cfg = JSON.parse(readFileSync(join(fromStream, 'config.json'), 'utf8')) as { source: string };
    expect(cfg.source).toBe(source);

    // a second student (another method) from the same stream, on its own consumer: the teacher is not run again
    const kd = join(work, 'kd');
    const r3 = atkd(['distill', ...common, '--method', 'kd', '--student', 'resnet8', '--source', source, '--out', kd]);
    expect(r3.code, r3.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(kd, 'summary.json'), 'utf8')).steps).toBe(12);
    expect(ck(kd, 'weights.bin').equals(ck(fromStream, 'weights.bin'))).toBe(false);

    // killed (SIGKILL) after its checkpoint at step 4, resumed from the stream position in that checkpoint
    const cut = join(work, 'cut');
    const victim = spawnAtkd(['distill', ...common, '--checkpoint-every', '4', '--source', source, '--out', cut], /$^/);
    const state = join(cut, 'checkpoints', 'latest', 'state.json');
    await until('the checkpoint at step 4', async () => {
      await new Promise((r) => setTimeout(r, 10));
      try {
        return (JSON.parse(readFileSync(state, 'utf8')) as { step: number }).step >= 4;
      } catch {
        return false;
      }
    });
    victim.child.kill('SIGKILL');
    await victim.exited;
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { step: number; source: { stream: string; startSeq: number; nextStep: number } };
    expect(saved.step, 'killed before the end').toBeLessThan(12);
    expect(existsSync(join(cut, 'summary.json'))).toBe(false);
    expect(saved.source.stream).toBe('LOGITS');
    expect(saved.source.nextStep).toBe(saved.step);
    const resumed = atkd(['distill', '--resume', cut, '--quiet', '--no-plots']);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const f of ['weights.bin', 'optimizer.bin']) expect(ck(cut, f).equals(ck(inproc, f)), f).toBe(true);
  });

  /**
   * A copy of LOGITS, message for message (ids, headers, bytes), to publish to `stream` by step: its
   * `publish(from, to)` retries while the test's own connection gets back to a restarted server.
   */
  async function logitsCopy(stream: string): Promise<{ publish(from: number, to: number): Promise<void> }> {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureBatchStream(jsm, stream);
    const info = await jsm.streams.info('LOGITS');
    expect(info.state.messages).toBe(12);
    const msgs: { step: number; epoch: number; m: NonNullable<Awaited<ReturnType<JetStreamManager['streams']['getMessage']>>> }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('LOGITS', { seq });
      if (m === null) throw new Error(`LOGITS seq ${seq} missing`);
      msgs.push({ step: Number(m.header.get(HEADERS.step)), epoch: Number(m.header.get(HEADERS.epoch)), m });
    }
    msgs.sort((a, b) => a.step - b.step);
    expect(msgs.map((x) => x.step)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    return {
      async publish(from, to) {
        for (const { m, epoch, step } of msgs.slice(from, to)) {
          // (the id makes a retry harmless)
          await until(`step ${step} published to ${stream}`, () =>
            js.publish(batchSubject(stream), m.data, { headers: m.header, msgID: batchMessageId(epoch, step), timeout: 2000 }).then(
              () => true,
              () => false,
            ),
          );
        }
      },
    };
  }
  const restartCommon = ['--epochs', '2', '--batch-size', '16', '--steps-per-epoch', '6', '--seed', '3', '--test-limit', '32', '--eval-batch-size', '32', '--no-plots'];
  /** The step of the run's latest checkpoint (-1 before the first). */
  const checkpointStep = (runDir: string) => {
    try {
      return (JSON.parse(readFileSync(join(runDir, 'checkpoints', 'latest', 'state.json'), 'utf8')) as { step: number }).step;
    } catch {
      return -1;
    }
  };
  /** The run's final weights and optimizer state equal the in-process run's: every step exactly once, in order. */
  const expectInProcessWeights = (runDir: string) => {
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).steps).toBe(12);
    const ck = (dir: string, f: string) => readFileSync(join(dir, 'checkpoints', 'latest', f));
    for (const f of ['weights.bin', 'optimizer.bin']) expect(ck(runDir, f).equals(ck(join(work, 'inproc'), f)), f).toBe(true);
  };

  // (after the tests above: LOGITS holds the 12 batches with logits, work/inproc the in-process run's checkpoint)
  it('the server restarted while distill --source runs: the run continues (or says why and resumes) and ends with the in-process weights', async () => {
    const jsm = await jetstreamManager(nc);
    // LIVE gets the LOGITS messages by step: 0-5 now, 6-11 after the restart
    const live = await logitsCopy('LIVE');
    await live.publish(0, 6);

    const runDir = join(work, 'restart');
    const student = spawnAtkd(['distill', ...restartCommon, '--checkpoint-every', '2', '--source', `${server.url}/LIVE`, '--out', runDir], /$^/);
    // the student has done steps of the first six and waits for step 6, which is not there yet
    await until('the student at step 4', () => checkpointStep(runDir) >= 4, 90_000);
    expect(student.child.exitCode).toBeNull();
    server = await server.restart();
    await live.publish(6, 12); // (nc reconnected to the restarted server)
    const code = await student.exited;
    let log = student.stderr() + student.stdout();
    if (code !== 0) {
      // allowed: a clear message naming the stream or server, then --resume finishes the run
      expect(log).toMatch(/stream LIVE|NATS server/);
      expect(log).not.toMatch(/\n\s+at /);
      const resumed = atkd(['distill', '--resume', runDir, '--no-plots']);
      expect(resumed.code, resumed.stderr).toBe(0);
      log += resumed.stderr + resumed.stdout;
    }
    expect((await jsm.streams.info('LIVE')).state.messages).toBe(12); // nothing re-published or lost in the stream
    expectInProcessWeights(runDir);
    if (code === 0) expect(log).toMatch(/stream LIVE: 12 steps done from \d+ deliveries/);
    // the first line names where the teacher's logits come from; no teacher file is loaded or named
    expect(log).toMatch(/atkd distill: teacher logits from nats:\/\/127\.0\.0\.1:\d+\/LIVE -> student /);
    expect(log).not.toMatch(/atkd distill: teacher \S+\.pth/);
  });

  it('the server away longer than the outage timeout (ATKD_NATS_OUTAGE_S): distill --source fails with one line naming the stream, and --resume ends with the in-process weights', async () => {
    const away = await logitsCopy('AWAY');
    await away.publish(0, 6);
    const runDir = join(work, 'away');
    const student = spawnAtkd(['distill', ...restartCommon, '--checkpoint-every', '2', '--source', `${server.url}/AWAY`, '--out', runDir], /$^/, { ATKD_NATS_OUTAGE_S: '2' });
    await until('the student at step 4', () => checkpointStep(runDir) >= 4, 90_000);
    expect(student.child.exitCode).toBeNull();
    await server.stop(true); // the store stays for the restart
    const code = await student.exited;
    const log = student.stderr() + student.stdout();
    expect(code).toBe(1);
    expect(log).toMatch(/stream AWAY, consumer \S+: no message could be pulled for 2 s \(.*\); is the NATS server up\?/);
    expect(log).not.toMatch(/\n\s+at /);
    const done = checkpointStep(runDir);
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThanOrEqual(6);
    server = await server.restart();
    await away.publish(6, 12);
    const resumed = atkd(['distill', '--resume', runDir, '--no-plots']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await (await jetstreamManager(nc)).streams.info('AWAY')).state.messages).toBe(12);
    expectInProcessWeights(runDir);
  });

  it('distill --source names a missing stream, and a server that wants credentials refuses a client without them', async () => {
    const r = atkd(['distill', '--source', `${server.url}/NOPE`, '--epochs', '1', '--quiet', '--no-plots', '--out', join(work, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--source nats:\/\/127\.0\.0\.1:\d+\/NOPE: no stream NOPE on the server/);
    const locked = await startNatsServer({ auth: { user: 'atkd', pass: 'hunter2-secret' } });
    try {
      const f = atkd(['feed', '--nats', locked.url, '--to', 'RAW', '--epochs', '1', '--quiet']);
      expect(f.code).toBe(1);
      expect(f.stderr).toMatch(/NATS server nats:\/\/127\.0\.0\.1:\d+ refused the connection: authorization violation/);
      const bad = atkd(['serve', 'temperature', '--nats', locked.url.replace('nats://', 'nats://atkd:wrong@'), '--from', 'A', '--to', 'B']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/nats:\/\/\*\*\*@127\.0\.0\.1:\d+ refused the connection/);
      expect(bad.stderr).not.toMatch(/wrong|hunter2/);
      const ok = atkd(['feed', '--nats', locked.url.replace('nats://', 'nats://atkd:hunter2-secret@'), '--to', 'RAW', '--epochs', '1', '--steps-per-epoch', '2', '--quiet']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).not.toMatch(/hunter2/);
      expect(ok.stderr).toMatch(/on nats:\/\/\*\*\*@127\.0\.0\.1/);
    } finally {
      await locked.stop();
    }
  });
});
