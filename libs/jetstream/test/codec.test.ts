import { headers } from '@nats-io/transport-node';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { BatchMessageError, HEADERS, decodeBatchMessage, encodeBatchMessage, parseNatsUrl, redactUrl, reorderByStep } from '../src/index.js';
import { column, tinyBatch } from './helpers.js';

describe('batch messages', () => {
  it('round-trip a record batch with its epoch, step and id', () => {
    const enc = encodeBatchMessage({ batch: tinyBatch(7), epoch: 2, step: 7 });
    expect(enc.msgID).toBe('e2-s7');
    expect(enc.headers.get(HEADERS.step)).toBe('7');
    const dec = decodeBatchMessage(enc.data, enc.headers, 'test');
    expect(dec.epoch).toBe(2);
    expect(dec.step).toBe(7);
    expect(column(dec.batch, 'index')).toEqual([28, 29, 30, 31]);
    expect(column(dec.batch, 'x')[1]).toBeCloseTo(7.1, 5);
    expect(dec.batch.schema.metadata.get('format')).toBe('test/1');
  });

  it('name the message when the bytes or headers are bad', () => {
    const enc = encodeBatchMessage({ batch: tinyBatch(1), epoch: 0, step: 1 });
    expect(() => decodeBatchMessage(new Uint8Array([1, 2, 3, 4, 5]), enc.headers, 'stream S seq 9')).toThrow(/stream S seq 9 \(epoch 0, step 1\): the payload is not an Arrow IPC record batch/);
    const h = headers();
    h.set(HEADERS.epoch, '0');
    expect(() => decodeBatchMessage(enc.data, h, 'stream S seq 3')).toThrow(BatchMessageError);
    expect(() => decodeBatchMessage(enc.data, h, 'stream S seq 3')).toThrow(/header Atkd-Step is missing/);
    h.set(HEADERS.step, '-1');
    expect(() => decodeBatchMessage(enc.data, h, 'x')).toThrow(/Atkd-Step is "-1"/);
    h.set(HEADERS.step, '1');
    h.set(HEADERS.rows, '5');
    expect(() => decodeBatchMessage(enc.data, h, 'x')).toThrow(/says 5 rows, the batch has 4/);
  });
});

describe('NATS URLs', () => {
  it('take credentials out of the URL and never print them', () => {
    expect(parseNatsUrl('nats://alice:s3cret@127.0.0.1:4333')).toEqual({ server: '127.0.0.1:4333', user: 'alice', pass: 's3cret', tls: false });
    expect(parseNatsUrl('nats://tok3n@host')).toEqual({ server: 'host:4222', token: 'tok3n', tls: false });
    expect(parseNatsUrl('tls://h:1').tls).toBe(true);
    expect(redactUrl('nats://alice:s3cret@127.0.0.1:4333')).toBe('nats://***@127.0.0.1:4333');
    expect(() => parseNatsUrl('http://tok3n@h:1')).toThrow(/unsupported scheme http:/);
    expect(() => parseNatsUrl('http://tok3n@h:1')).not.toThrow(/tok3n/);
  });
});

describe('reorderByStep', () => {
  const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
  const v = { a: { step: 0 }, b: { step: 1 }, c: { step: 2 }, d: { step: 3 } };

  it('emits in step order whatever the arrival order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('-b-a---d---c---|', v);
      expectObservable(src.pipe(reorderByStep())).toBe('---(ab)----(cd)|', v);
    });
  });

  it('drops duplicates and steps before the first, handing them to the callbacks', () => {
    const dup: number[] = [];
    const stale: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold('-a-b-b-c-c-d-|', v);
      expectObservable(src.pipe(reorderByStep({ first: 1, onDuplicate: (x) => dup.push(x.step), onStale: (x) => stale.push(x.step) }))).toBe('---b---c---d-|', v);
    });
    expect(dup).toEqual([1, 2]);
    expect(stale).toEqual([0]);
  });

  it('fails, naming the missing step, when too many wait or the source ends with a gap', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-b-c-d-|', v).pipe(reorderByStep({ maxWaiting: 2 }))).toBe('-----#', undefined, new RangeError('reorderByStep: step 0 has not arrived while 3 later steps wait (up to 3); was it lost upstream? (raise the wait limit if the producers are just far apart)'));
      expectObservable(cold('-b-|', v).pipe(reorderByStep())).toBe('---#', undefined, new RangeError('reorderByStep: the source ended while step 0 is missing (1 later steps waiting)'));
    });
  });
});
