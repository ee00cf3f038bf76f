// aheadThrottle against a scripted consumer-info answer (the real server is in server.test.ts's slow-consumer test).
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { aheadThrottle, type RoomWait } from '../src/index.js';

/** A JetStreamManager whose consumers.info answers from `answers` (a number: that pending count; an Error: thrown); the last one repeats. */
function scripted(answers: Array<number | Error>): { jsm: JetStreamManager; calls: string[] } {
  const calls: string[] = [];
  let i = 0;
  const info = (stream: string, consumer: string): Promise<ConsumerInfo> => {
    calls.push(`${stream}/${consumer}`);
    const a = answers[Math.min(i++, answers.length - 1)];
    if (a instanceof Error) return Promise.reject(a);
    // pending = num_pending + num_ack_pending: split it to check both are counted
    return Promise.resolve({ num_pending: Math.ceil(a / 2), num_ack_pending: Math.floor(a / 2) } as ConsumerInfo);
  };
  return { jsm: { consumers: { info } } as unknown as JetStreamManager, calls };
}

const notFound = () => Object.assign(new Error('consumer not found'), { code: 10014 });

describe('aheadThrottle (waitForRoom)', () => {
  it('asks the server only when the publishes since the last look could have filled the room', async () => {
    const { jsm, calls } = scripted([1, 0]);
    const t = aheadThrottle('OUT', { jsm, consumer: 'student', maxPending: 4, pollMs: 1 });
    // pending 1: room for 3 more before looking again
    for (let i = 0; i < 3; i++) {
      expect(await t.waitForRoom()).toBe(true);
      t.published();
    }
    expect(calls).toEqual(['OUT/student']);
    expect(await t.waitForRoom()).toBe(true); // 1 + 3 = 4: look again (now 0 pending)
    expect(calls).toEqual(['OUT/student', 'OUT/student']);
  });

  it('holds back while the consumer has maxPending pending, telling onWait each poll', async () => {
    const { jsm, calls } = scripted([4, 5, 4, 3]);
    const t = aheadThrottle('OUT', { jsm, consumer: 'student', maxPending: 4, pollMs: 1 });
    const waits: RoomWait[] = [];
    expect(await t.waitForRoom({ onWait: (w) => waits.push(w) })).toBe(true);
    expect(calls).toHaveLength(4);
    expect(waits.map((w) => [w.pending, w.polls])).toEqual([
      [4, 1],
      [5, 2],
      [4, 3],
    ]);
    expect(waits[0]).toMatchObject({ stream: 'OUT', consumer: 'student', maxPending: 4 });
    // 3 pending at the end of the wait + the publish it allowed = 4: the next wait asks again
    t.published();
    expect(await t.waitForRoom()).toBe(true);
    expect(calls).toHaveLength(5);
  });

  it('does not hold back while the consumer does not exist, and looks again after maxPending publishes', async () => {
    const { jsm, calls } = scripted([notFound(), notFound(), 9, 0]);
    const t = aheadThrottle('OUT', { jsm, consumer: 'later', maxPending: 2, pollMs: 1 });
    expect(await t.waitForRoom()).toBe(true);
    t.published();
    expect(await t.waitForRoom()).toBe(true);
    expect(calls).toHaveLength(1);
    t.published();
    expect(await t.waitForRoom()).toBe(true); // still none
    expect(calls).toHaveLength(2);
    t.published();
    t.published();
    const waits: RoomWait[] = [];
    expect(await t.waitForRoom({ onWait: (w) => waits.push(w) })).toBe(true); // created meanwhile with 9 pending: waits for 0
    expect(waits.map((w) => w.pending)).toEqual([9]);
  });

  it('an aborted signal ends the wait with false (before the first poll, or while held back)', async () => {
    const { jsm, calls } = scripted([10]);
    const t = aheadThrottle('OUT', { jsm, consumer: 'student', maxPending: 4, pollMs: 60_000 });
    expect(await t.waitForRoom({ signal: AbortSignal.abort() })).toBe(false);
    expect(calls).toHaveLength(0);
    const stop = new AbortController();
    const started = Date.now();
    const waiting = t.waitForRoom({ signal: stop.signal, onWait: () => setTimeout(() => stop.abort(), 5) });
    expect(await waiting).toBe(false);
    expect(Date.now() - started).toBeLessThan(30_000); // the 60 s poll sleep was cut short
    expect(calls).toHaveLength(1);
  });

  it('keeps asking through an outage and fails with a message naming stream and consumer when it lasts', async () => {
    const down = new Error('TIMEOUT');
    const { jsm } = scripted([down, down, 0]);
    const t = aheadThrottle('OUT', { jsm, consumer: 'student', maxPending: 4, pollMs: 1 });
    const waits: RoomWait[] = [];
    expect(await t.waitForRoom({ onWait: (w) => waits.push(w) })).toBe(true); // rode over two failed polls
    expect(waits.map((w) => [w.pending, w.error])).toEqual([
      [null, 'TIMEOUT'],
      [null, 'TIMEOUT'],
    ]);
    const never = aheadThrottle('OUT', { jsm: scripted([down]).jsm, consumer: 'student', maxPending: 4, pollMs: 5, outageTimeoutMs: 30 });
    await expect(never.waitForRoom()).rejects.toThrow(/stream OUT: cannot read the pending count of consumer student \(TIMEOUT\)/);
  });

  it('refuses a maxPending that is not a positive integer', () => {
    expect(() => aheadThrottle('OUT', { jsm: scripted([0]).jsm, consumer: 'c', maxPending: 0 })).toThrow(/throttle on stream OUT: maxPending must be a positive integer, got 0/);
  });
});
