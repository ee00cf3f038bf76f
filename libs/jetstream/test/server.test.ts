// Against a real `nats-server -js` on a free loopback port (started here, always stopped).
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { decodeIpcStream, encodeIpcStream, withFloat32Column } from '@atkd/columns';
import type { RecordBatch } from 'apache-arrow';
import * as rx from 'rxjs';
import { from, lastValueFrom, map, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HEADERS,
  OrderedStreamReader,
  batchSource,
  batchSubject,
  connectNats,
  deadLetterStream,
  ensureBatchStream,
  ensureConsumer,
  publishBatches,
  startStageService,
  type Delivery,
} from '../src/index.js';
import { startNatsServer, type NatsServer } from '../src/testing/nats-server.js';
import { column, tinyBatch } from './helpers.js';

let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ url: server.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const envelopes = (n: number, first = 0) => Array.from({ length: n }, (_, i) => ({ batch: tinyBatch(first + i), epoch: 0, step: first + i }));

describe('streams, sink and source', () => {
  it('publish batches with their ids; a re-publish is de-duplicated by the server', async () => {
    await ensureBatchStream(jsm, 'SINK');
    const first = await lastValueFrom(from(envelopes(5)).pipe(publishBatches(nc, js, 'SINK'), toArray()));
    expect(first.map((p) => p.duplicate)).toEqual([false, false, false, false, false]);
    const again = await lastValueFrom(from(envelopes(5)).pipe(publishBatches(nc, js, 'SINK'), toArray()));
    expect(again.map((p) => p.duplicate)).toEqual([true, true, true, true, true]);
    const info = await jsm.streams.info('SINK');
    expect(info.state.messages).toBe(5);
    const msg = await jsm.streams.getMessage('SINK', { seq: 3 });
    expect(msg?.header.get('Nats-Msg-Id')).toBe('e0-s2');
    expect(msg?.header.get(HEADERS.step)).toBe('2');
  });

  it('source: every batch once, at most inFlight held, acked after the step; the rest stays for the next subscriber', async () => {
    await ensureBatchStream(jsm, 'SRC');
    await lastValueFrom(from(envelopes(12)).pipe(publishBatches(nc, js, 'SRC')));
    await ensureConsumer(jsm, 'SRC', 'reader', { maxAckPending: 4 });
    let held = 0;
    let maxHeld = 0;
    const seen: number[] = [];
    await lastValueFrom(
      batchSource(js, { stream: 'SRC', consumer: 'reader', inFlight: 3 }).pipe(
        tap(() => (maxHeld = Math.max(maxHeld, ++held))),
        // a slow asynchronous step, acked when done
        (src) => src.pipe(take(8)),
        rx.concatMap(async (d) => {
          await new Promise((r) => setTimeout(r, 20));
          seen.push(d.step);
          held--;
          d.ack();
        }),
        toArray(),
      ),
    );
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxHeld).toBeLessThanOrEqual(3);
    expect(maxHeld).toBeGreaterThan(1);
    // the unsubscribe gave back what it held: a second reader gets the rest, in order
    const rest = await lastValueFrom(batchSource(js, { stream: 'SRC', consumer: 'reader' }).pipe(take(4), tap((d) => d.ack()), map((d) => d.step), toArray()));
    expect(rest).toEqual([8, 9, 10, 11]);
    const ci = await jsm.consumers.info('SRC', 'reader');
    expect(ci.num_pending).toBe(0);
    expect(ci.config.max_ack_pending).toBe(4);
  });

  it('a corrupt message goes to the dead letters with a log line naming it; the source goes on', async () => {
    await ensureBatchStream(jsm, 'BAD');
    await lastValueFrom(from(envelopes(1)).pipe(publishBatches(nc, js, 'BAD')));
    const h = headers();
    h.set(HEADERS.epoch, '0');
    h.set(HEADERS.step, '1');
    await js.publish(batchSubject('BAD'), new TextEncoder().encode('not arrow at all'), { headers: h, msgID: 'e0-s1' });
    await lastValueFrom(from(envelopes(1, 2)).pipe(publishBatches(nc, js, 'BAD')));
    await ensureConsumer(jsm, 'BAD', 'reader');
    const lines: string[] = [];
    const steps = await lastValueFrom(batchSource(js, { stream: 'BAD', consumer: 'reader', log: (l) => lines.push(l) }).pipe(take(2), tap((d) => d.ack()), map((d) => d.step), toArray()));
    expect(steps).toEqual([0, 2]);
    expect(lines.join('\n')).toMatch(/dead letter: stream BAD seq 2 .*moved to atkd\.dead\.BAD: stream BAD seq 2 \(epoch 0, step 1\): the payload is not an Arrow IPC record batch/);
    const dead = await jsm.streams.getMessage(deadLetterStream('BAD'), { seq: 1 });
    expect(new TextDecoder().decode(dead?.data)).toBe('not arrow at all');
    expect(dead?.header.get(HEADERS.origin)).toBe('BAD#2');
    expect(dead?.header.get(HEADERS.error)).toMatch(/not an Arrow IPC record batch/);
    // terminated: not redelivered
    await new Promise((r) => setTimeout(r, 200));
    const ci = await jsm.consumers.info('BAD', 'reader');
    expect(ci.num_ack_pending).toBe(0);
    expect(ci.num_pending).toBe(0);
  });
});


describe('stage services', () => {
  const addY = map((b: RecordBatch) => withFloat32Column(b, 'y', Float32Array.from(column(b, 'x'), (x) => 2 * x)));

  it('two instances share the work: every batch reaches the output once, with the stage column; requests answer too', async () => {
    await ensureBatchStream(jsm, 'IN');
    const a = await startStageService(nc, { stage: 'double', operator: addY, from: 'IN', to: 'OUT', ackWaitMs: 2000, log: () => undefined });
    const nc2 = await connectNats({ url: server.url });
    const b = await startStageService(nc2, { stage: 'double', operator: addY, from: 'IN', to: 'OUT', ackWaitMs: 2000, log: () => undefined });
    await lastValueFrom(from(envelopes(20)).pipe(publishBatches(nc, js, 'IN')));
    await ensureConsumer(jsm, 'OUT', 'student');
    const got: Delivery[] = await lastValueFrom(batchSource(js, { stream: 'OUT', consumer: 'student', inFlight: 4 }).pipe(take(20), tap((d) => d.ack()), toArray()));
    const steps = got.map((d) => d.step).sort((x, y) => x - y);
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const d of got) expect(column(d.batch, 'y')).toEqual(column(d.batch, 'x').map((x) => 2 * x));
    expect(a.stats.batches + b.stats.batches).toBe(20);
    expect(a.stats.batches).toBeGreaterThan(0);
    expect(b.stats.batches).toBeGreaterThan(0);

    // request/reply on atkd.double: record batches in, record batches out
    const reply = await nc.request('atkd.double', encodeIpcStream([tinyBatch(3), tinyBatch(4)]), { timeout: 5000 });
    const out = decodeIpcStream(reply.data).batches;
    expect(out.map((x) => column(x, 'y'))).toEqual([tinyBatch(3), tinyBatch(4)].map((x) => column(x, 'x').map((v) => 2 * v)));
    const bad = await nc.request('atkd.double', new TextEncoder().encode('junk'), { timeout: 5000 });
    expect(bad.headers?.get('Nats-Service-Error')).toMatch(/request on atkd.double: .*expected an Arrow IPC stream/);
    // discovery: both instances answer a ping
    const pings = await nc.requestMany('$SRV.PING.atkd-double', undefined, { maxWait: 1000 });
    let n = 0;
    for await (const _m of pings) n++;
    expect(n).toBe(2);
    await a.stop();
    await b.stop();
    await nc2.close();
  });

  it('a batch the stage rejects goes to the dead letters instead of a crash loop', async () => {
    await ensureBatchStream(jsm, 'IN2');
    const lines: string[] = [];
    const picky = map((b: RecordBatch) => {
      if (column(b, 'index')[0] === 4) throw new Error('column "x" is bad');
      return b;
    });
    const s = await startStageService(nc, { stage: 'picky', operator: picky, from: 'IN2', to: 'OUT2', log: (l) => lines.push(l), requests: false });
    await lastValueFrom(from(envelopes(3)).pipe(publishBatches(nc, js, 'IN2')));
    await ensureConsumer(jsm, 'OUT2', 'r');
    const steps = await lastValueFrom(batchSource(js, { stream: 'OUT2', consumer: 'r' }).pipe(take(2), tap((d) => d.ack()), map((d) => d.step), toArray()));
    expect(steps).toEqual([0, 2]);
    expect(s.stats.deadLetters).toBe(1);
    expect(lines.join('\n')).toMatch(/stream IN2 seq 2 .*picky stage rejected the batch at step 1 \(epoch 0\): column "x" is bad/);
    await s.stop();
  });
});

describe('OrderedStreamReader', () => {
  /** Publishes `steps` in this order; a repeated step gets another message id (a re-publish past the duplicate window). */
  async function publishSteps(stream: string, steps: number[]) {
    await ensureBatchStream(jsm, stream);
    const seen = new Set<number>();
    for (const step of steps) {
      const { encodeBatchMessage } = await import('../src/codec.js');
      const e = encodeBatchMessage({ batch: tinyBatch(step), epoch: 0, step });
      await js.publish(batchSubject(stream), e.data, { headers: e.headers, msgID: seen.has(step) ? `${e.msgID}-again` : e.msgID });
      seen.add(step);
    }
  }

  it('reads steps in order, each once, and resumes from its checkpointed position', async () => {
    await publishSteps('ORD', [1, 0, 3, 2, 2, 5, 4]);
    const first = await OrderedStreamReader.open(js, jsm, { stream: 'ORD', consumer: 'run1' }, null);
    const a = await lastValueFrom(first.segment(0, 2).pipe(map((d) => d.step), toArray()));
    expect(a).toEqual([0, 1]);
    await new Promise((r) => setTimeout(r, 200)); // let the later ones arrive and wait
    const pos = first.position();
    expect(pos).toEqual({ stream: 'ORD', consumer: 'run1', startSeq: 3, nextStep: 2 });
    first.close();
    // a resumed run: the consumer made again at the checkpointed sequence
    const again = await OrderedStreamReader.open(js, jsm, { stream: 'ORD', consumer: 'run1' }, pos);
    const b = await lastValueFrom(again.segment(2, 4).pipe(map((d) => ({ step: d.step, x: column(d.batch, 'x')[0] })), toArray()));
    expect(b.map((d) => d.step)).toEqual([2, 3, 4, 5]);
    expect(b.map((d) => d.x)).toEqual([2, 3, 4, 5]);
    expect(again.stats.duplicates + again.stats.stale).toBe(1); // the second step 2: waiting, or already done
    expect(again.position().nextStep).toBe(6);
    again.close();
    // another run reads the same stream on its own, from the start
    const other = await OrderedStreamReader.open(js, jsm, { stream: 'ORD', consumer: 'run2' }, null);
    expect(await lastValueFrom(other.segment(0, 6).pipe(map((d) => d.step), toArray()))).toEqual([0, 1, 2, 3, 4, 5]);
    other.close();
  });

  it('fails naming the missing step when the window is full', async () => {
    await publishSteps('GAP', [1, 2, 3]);
    const r = await OrderedStreamReader.open(js, jsm, { stream: 'GAP', consumer: 'run', window: 2 }, null);
    await expect(lastValueFrom(r.segment(0, 1))).rejects.toThrow(/stream GAP: step 0 has not arrived while 2 later steps wait \(the window is 2\)/);
    r.close();
  });
});

describe('a slow consumer', () => {
  it('bounds the pending counts of the streams and what a service holds', async () => {
    await ensureBatchStream(jsm, 'SLOW_IN');
    const svc = await startStageService(nc, {
      stage: 'slowpass',
      operator: map((b: RecordBatch) => b),
      from: 'SLOW_IN',
      to: 'SLOW_OUT',
      inFlight: 2,
      throttle: { consumer: 'slow', maxPending: 4, pollMs: 20 },
      requests: false,
      log: () => undefined,
    });
    await ensureConsumer(jsm, 'SLOW_OUT', 'slow', { maxAckPending: 2 });
    // the producer stays at most 5 ahead of the service's consumer
    const producing = lastValueFrom(from(envelopes(30)).pipe(publishBatches(nc, js, 'SLOW_IN', { throttle: { jsm, consumer: svc.consumer, maxPending: 5, pollMs: 20 } }), toArray()));
    let maxIn = 0;
    let maxOut = 0;
    const watch = setInterval(() => {
      void jsm.consumers.info('SLOW_IN', svc.consumer).then((i) => (maxIn = Math.max(maxIn, i.num_pending + i.num_ack_pending)), () => undefined);
      void jsm.consumers.info('SLOW_OUT', 'slow').then((i) => (maxOut = Math.max(maxOut, i.num_pending + i.num_ack_pending)), () => undefined);
    }, 15);
    const steps = await lastValueFrom(
      batchSource(js, { stream: 'SLOW_OUT', consumer: 'slow', inFlight: 1 }).pipe(
        take(30),
        rx.concatMap(async (d) => {
          await new Promise((r) => setTimeout(r, 25)); // the slow student
          d.ack();
          return d.step;
        }),
        toArray(),
      ),
    );
    clearInterval(watch);
    await producing;
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // bounded: limit + what one publisher has in hand (the check and the publish are not atomic)
    expect(maxOut).toBeLessThanOrEqual(4 + 2);
    expect(maxIn).toBeLessThanOrEqual(5 + 1);
    expect(maxOut).toBeGreaterThan(0);
    expect(svc.stats.maxHeld).toBeLessThanOrEqual(2);
    await svc.stop();
  });
});

describe('server restart and authorization', () => {
  it('the source and the sink ride over a server restart; nothing is lost', async () => {
    let srv = await startNatsServer();
    const c = await connectNats({ url: srv.url });
    try {
      const j = jetstream(c);
      const m = await jetstreamManager(c);
      await ensureBatchStream(m, 'R');
      await ensureConsumer(m, 'R', 'reader', { ackWaitMs: 1000 });
      await lastValueFrom(from(envelopes(6)).pipe(publishBatches(c, j, 'R')));
      const seen = new Set<number>();
      const reading = lastValueFrom(
        batchSource(j, { stream: 'R', consumer: 'reader', log: () => undefined }).pipe(
          rx.concatMap(async (d) => {
            await new Promise((r) => setTimeout(r, 30));
            seen.add(d.step);
            d.ack();
            return d.step;
          }),
          rx.takeWhile(() => seen.size < 12),
          toArray(),
        ),
      );
      await new Promise((r) => setTimeout(r, 60));
      srv = await srv.restart();
      await lastValueFrom(from(envelopes(6, 6)).pipe(publishBatches(c, j, 'R', { log: () => undefined })));
      await reading;
      expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect((await m.streams.info('R')).state.messages).toBe(12);
    } finally {
      await c.close();
      await srv.stop();
    }
  }, 60_000);

  it('a server with authorization refuses a client without it, clearly and without printing the secret', async () => {
    const srv = await startNatsServer({ auth: { token: 'sesame-0451' } });
    try {
      const err = await connectNats({ url: srv.url, maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/NATS server nats:\/\/127\.0\.0\.1:\d+ refused the connection: authorization violation/);
      const wrong = await connectNats({ url: srv.url.replace('nats://', 'nats://wrong-token@'), maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e as Error);
      expect(wrong?.message).toMatch(/refused the connection: authorization violation/);
      expect(wrong?.message).not.toMatch(/wrong-token/);
      const ok = await connectNats({ url: srv.url.replace('nats://', 'nats://sesame-0451@') });
      const m = await jetstreamManager(ok);
      await ensureBatchStream(m, 'AUTH');
      expect((await m.streams.info('AUTH')).config.name).toBe('AUTH');
      await ok.close();
    } finally {
      await srv.stop();
    }
    const u = await startNatsServer({ auth: { user: 'atkd', pass: 'pw-77' } });
    try {
      const err = await connectNats({ url: u.url.replace('nats://', 'nats://atkd:bad@'), maxReconnectAttempts: 0 }).then(() => null, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/authorization violation/);
      expect(err?.message).not.toMatch(/bad@|pw-77/);
      const ok = await connectNats({ url: u.url.replace('nats://', 'nats://atkd:pw-77@') });
      await ok.close();
    } finally {
      await u.stop();
    }
  });
});

