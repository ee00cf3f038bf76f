import { readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { concatMap, firstValueFrom, lastValueFrom, take, timer, toArray, map, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CifarArrowFile,
  CifarDataError,
  IMAGE_BYTES,
  cifarBatches,
  concatMapBatch,
  epochLength,
  recordBatchToColumns,
  sampleDataDir,
  toRecordBatch,
  type CifarBatch,
  type CifarBatchOptions,
} from '../src/index.js';
import { allParams, reference } from './helpers.js';

const TRAIN = join(sampleDataDir(), 'train.arrow');
let file: CifarArrowFile;
let all: Uint8Array; // every image of the sample, in file order

beforeAll(async () => {
  file = await CifarArrowFile.open(TRAIN);
  all = new Uint8Array(file.numRows * IMAGE_BYTES);
  file.readImagesSync(Uint32Array.from({ length: file.numRows }, (_, i) => i), all);
});
afterAll(() => file.close());

const collect = (o: CifarBatchOptions) => lastValueFrom(cifarBatches(TRAIN, o).pipe(toArray()));
const imageOfRow = (r: number) => Buffer.from(all.subarray(r * IMAGE_BYTES, (r + 1) * IMAGE_BYTES));
const imageOf = (b: CifarBatch, i: number) => Buffer.from(b.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));

/** `n` turns of the event loop (timers, I/O callbacks and immediates each get to run). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}
/** Resolves once `cond()` holds, checked every event-loop turn (the test's timeout bounds the wait). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await turns(1);
}

function expectConsistent(b: CifarBatch): void {
  expect(b.images.length).toBe(b.size * IMAGE_BYTES);
  for (let i = 0; i < b.size; i++) {
    const r = b.rows[i];
    expect(b.fine[i]).toBe(file.fine[r]);
    expect(b.coarse[i]).toBe(file.coarse[r]);
    expect(b.indices[i]).toBe(file.indices[r]);
  }
}

describe('cifarBatches: order, sizes, content', () => {
  it('reads the file in order, in batches of batchSize with a short last one', async () => {
    const batches = await collect({ batchSize: 64 });
    expect(file.numRows).toBe(400);
    expect(batches.map((b) => b.size)).toEqual([64, 64, 64, 64, 64, 64, 16]);
    expect(batches.map((b) => [b.epoch, b.index, b.step])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [0, i, i]));
    const rows = batches.flatMap((b) => [...b.rows]);
    expect(rows).toEqual([...Array(400).keys()]);
    for (const b of batches) {
      expectConsistent(b);
      for (let i = 0; i < b.size; i++) expect(imageOf(b, i).equals(imageOfRow(b.rows[i]))).toBe(true);
      expect(b.meta.split).toBe('train');
    }
  });

  it('dropLast drops the short batch', async () => {
    expect((await collect({ batchSize: 64, dropLast: true })).map((b) => b.size)).toEqual([64, 64, 64, 64, 64, 64]);
    expect(await collect({ batchSize: 401, dropLast: true })).toEqual([]);
  });

  it('thread-pool reads give the same batches as synchronous reads', async () => {
    const a = await collect({ batchSize: 50, shuffle: true, seed: 3, augment: true });
    const b = await collect({ batchSize: 50, shuffle: true, seed: 3, augment: true, syncReads: false, prefetch: 4 });
    expect(b.map((x) => Buffer.from(x.images).toString('base64'))).toEqual(a.map((x) => Buffer.from(x.images).toString('base64')));
  });

  it('inMemory: one pass of large reads at the start, then the same batches without per-image reads', async () => {
    let batchesRead = 0;
    const a = await collect({ batchSize: 50, shuffle: true, seed: 4, augment: true, epochs: 2 });
    const f = await CifarArrowFile.open(TRAIN);
    const reads: number[] = [];
    f.onRead = (e) => reads.push(e.bytes);
    await f.loadIntoMemory();
    expect(f.inMemory).toBe(true);
    expect(reads.length).toBeLessThanOrEqual(2);
    const rows = Uint32Array.from([399, 3, 4, 5, 0]);
    const fromMemory = new Uint8Array(rows.length * IMAGE_BYTES);
    f.readImagesSync(rows, fromMemory);
    await f.readImages(rows, fromMemory);
    expect(reads.length).toBeLessThanOrEqual(2);
    await f.close();
    for (let i = 0; i < rows.length; i++) expect(Buffer.from(fromMemory.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)).equals(imageOfRow(rows[i]))).toBe(true);
    const b = await collect({ batchSize: 50, shuffle: true, seed: 4, augment: true, epochs: 2, inMemory: true, onBatchRead: () => (batchesRead += 1) });
    expect(batchesRead).toBe(16);
    expect(b.map((x) => Buffer.from(x.images).toString('base64'))).toEqual(a.map((x) => Buffer.from(x.images).toString('base64')));
  });

  it('rejects bad options with a RangeError naming the option', () => {
    expect(() => cifarBatches(TRAIN, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => cifarBatches(TRAIN, { prefetch: 0.5 })).toThrow(/prefetch/);
    expect(() => cifarBatches(TRAIN, { epochs: -1 })).toThrow(/epochs/);
  });

  it('errors with a CifarDataError naming a missing file', async () => {
    const err = await firstValueFrom(cifarBatches('/nonexistent/train.arrow')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CifarDataError);
    expect((err as Error).message).toMatch(/\/nonexistent\/train\.arrow: cannot open/);
  });
});

describe('cifarBatches: seeded shuffle', () => {
  const orders = (bs: CifarBatch[], epoch: number) => bs.filter((b) => b.epoch === epoch).flatMap((b) => [...b.rows]);

  it('shuffles every epoch into a permutation; same seed same order, other epoch or seed another', async () => {
    const a = await collect({ batchSize: 100, shuffle: true, seed: 7, epochs: 3 });
    const b = await collect({ batchSize: 100, shuffle: true, seed: 7, epochs: 3 });
    const c = await collect({ batchSize: 100, shuffle: true, seed: 8, epochs: 1 });
    expect(a.map((x) => x.step)).toEqual([...Array(12).keys()]);
    for (let e = 0; e < 3; e++) {
      const o = orders(a, e);
      expect([...o].sort((x, y) => x - y)).toEqual([...Array(400).keys()]);
      expect(o).toEqual(orders(b, e));
    }
    expect(orders(a, 0)).not.toEqual(orders(a, 1));
    expect(orders(a, 1)).not.toEqual(orders(a, 2));
    expect(orders(a, 0)).not.toEqual(orders(c, 0));
    expect(orders(a, 0)).not.toEqual([...Array(400).keys()]);
    a.forEach(expectConsistent);
    for (const x of a) for (let i = 0; i < x.size; i++) expect(imageOf(x, i).equals(imageOfRow(x.rows[i]))).toBe(true);
  });
});

describe('cifarBatches: seeded augmentation', () => {
  it('crops (4-pixel zero padding) and flips, the same way for the same seed', async () => {
    const a = await collect({ batchSize: 100, shuffle: true, seed: 5, augment: true, epochs: 2 });
    const b = await collect({ batchSize: 100, shuffle: true, seed: 5, augment: true, epochs: 2 });
    expect(a.map((x) => Buffer.from(x.images).toString('base64'))).toEqual(b.map((x) => Buffer.from(x.images).toString('base64')));
    const params = allParams();
    const used = new Set<string>();
    let changed = 0;
    for (const x of a.slice(0, 2)) {
      for (let i = 0; i < x.size; i++) {
        const img = imageOf(x, i);
        const src = all.subarray(x.rows[i] * IMAGE_BYTES, (x.rows[i] + 1) * IMAGE_BYTES);
        const match = params.filter((p) => img.equals(Buffer.from(reference(src, p))));
        expect(match.length).toBeGreaterThan(0);
        match.forEach((p) => used.add(`${p.dx},${p.dy},${p.flip}`));
        if (!img.equals(imageOfRow(x.rows[i]))) changed++;
      }
    }
    expect(changed).toBeGreaterThan(190); // 1 in 162 draws is the identity
    expect(used.size).toBeGreaterThan(80); // many different crops and flips in 200 images
    // the same rows in the next epoch get other crops
    const row0 = a[0].rows[0];
    const e1 = a.filter((x) => x.epoch === 1).find((x) => x.rows.includes(row0))!;
    expect(imageOf(e1, e1.rows.indexOf(row0)).equals(imageOf(a[0], 0))).toBe(false);
  });
});

describe('cifarBatches: backpressure', () => {
  /** Runs the stream through `consume`, checking at every read that reads - finished <= prefetch. */
  async function watch(prefetch: number, consume: (src: Observable<CifarBatch>, finished: () => void) => Observable<unknown>) {
    let reads = 0;
    let finished = 0;
    let maxLead = 0;
    const src = cifarBatches(TRAIN, {
      batchSize: 20,
      shuffle: true,
      prefetch,
      onBatchRead: (e) => {
        reads += 1;
        maxLead = Math.max(maxLead, reads - finished);
        expect(e.inFlight).toBeLessThanOrEqual(prefetch);
      },
    });
    await lastValueFrom(consume(src, () => (finished += 1)), { defaultValue: undefined });
    return { reads, finished, maxLead };
  }

  it.each([1, 2, 3])('a slow asynchronous consumer (concatMapBatch) never lets it read more than prefetch=%i batches ahead', async (prefetch) => {
    const r = await watch(prefetch, (src, finished) => src.pipe(concatMapBatch(() => timer(3).pipe(map(() => finished())))));
    expect(r.reads).toBe(20);
    expect(r.finished).toBe(20);
    expect(r.maxLead).toBeLessThanOrEqual(prefetch);
    expect(r.maxLead).toBe(prefetch); // and it does use the read-ahead it is allowed
  });

  it('a multi-stage async pipeline: hold at the source, release after the last stage', async () => {
    const stage = <T>(ms: number) => concatMap(async (x: T) => {
      await new Promise((r) => setTimeout(r, ms));
      return x;
    });
    const r = await watch(3, (src, finished) =>
      src.pipe(
        map((batch) => ({ batch, release: batch.hold() })),
        stage(1), // teacher
        stage(2), // temperature + soft targets
        stage(1), // student
        map((x) => {
          x.release();
          finished();
        }),
      ),
    );
    expect(r.finished).toBe(20);
    expect(r.maxLead).toBe(3);
  });

  it('a slow synchronous consumer: next() returning is the acknowledgement', async () => {
    const r = await watch(2, (src, finished) =>
      src.pipe(
        map(() => {
          const until = performance.now() + 2;
          while (performance.now() < until);
          finished();
        }),
      ),
    );
    expect(r.maxLead).toBeLessThanOrEqual(2);
    expect(r.reads).toBe(20);
  });

  it('manual hold/release: nothing more is read until the consumer releases', async () => {
    // event-driven, no wall-clock wait: onBatchRead fires synchronously when a read starts, so a third
    // read would be logged within a few event-loop turns of the second delivery
    const log: string[] = [];
    const held: (() => void)[] = [];
    const sub = cifarBatches(TRAIN, { batchSize: 20, prefetch: 2, onBatchRead: ({ step }) => log.push(`read ${step}`) }).subscribe((b) => {
      log.push(`hold ${b.step}`);
      held.push(b.hold());
    });
    await until(() => held.length === 2);
    await turns(20);
    expect(log).toEqual(['read 0', 'read 1', 'hold 0', 'hold 1']);
    const first = held.shift()!;
    log.push('release 0');
    first();
    first(); // releasing twice is harmless
    first();
    await until(() => log.includes('hold 2'));
    await turns(20);
    // one release, one read; batch 2 is held too, so two are held again and nothing more is read
    expect(log).toEqual(['read 0', 'read 1', 'hold 0', 'hold 1', 'release 0', 'read 2', 'hold 2']);
    sub.unsubscribe();
  });

  it('(control) a plain async concatMap without holds is not bounded: why concatMapBatch exists', async () => {
    const r = await watch(2, (src, finished) => src.pipe(concatMap(() => timer(3).pipe(map(() => finished())))));
    expect(r.maxLead).toBeGreaterThan(2);
  });
});

describe('cifarBatches: unsubscribe', () => {
  const openFds = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === TRAIN;
      } catch {
        return false;
      }
    }).length;

  it('stops reading and closes the file', async () => {
    const before = openFds();
    let reads = 0;
    let closed = 0;
    const got = await lastValueFrom(
      cifarBatches(TRAIN, { batchSize: 10, epochs: Infinity, prefetch: 3, onBatchRead: () => (reads += 1), onClose: () => (closed += 1) }).pipe(take(4), toArray()),
    );
    expect(got.length).toBe(4);
    await until(() => closed === 1); // closed once the reads in flight have settled
    expect(reads).toBeLessThanOrEqual(4 + 3);
    const after = reads;
    await turns(20);
    expect(reads).toBe(after);
    expect(closed).toBe(1);
    if (process.platform === 'linux') expect(openFds()).toBe(before);
  });

  it('an endless stream with a synchronous consumer leaves the event loop free (timers fire)', async () => {
    let n = 0;
    const sub = cifarBatches(TRAIN, { batchSize: 100, epochs: Infinity }).subscribe(() => (n += 1));
    // a 1 ms timer must fire between batches: if the stream starved the event loop this would hang
    let timers = 0;
    while (n <= 2) {
      await new Promise((r) => setTimeout(r, 1));
      timers += 1;
    }
    sub.unsubscribe();
    const stopped = n;
    expect(timers).toBeGreaterThan(0);
    await turns(20);
    expect(n).toBe(stopped);
  });

  it('endless epochs run on until unsubscribed', async () => {
    const got = await lastValueFrom(cifarBatches(TRAIN, { batchSize: 150, epochs: Infinity, shuffle: true }).pipe(take(10), toArray()));
    expect(got.map((b) => [b.epoch, b.index, b.size])).toEqual([
      [0, 0, 150], [0, 1, 150], [0, 2, 100],
      [1, 0, 150], [1, 1, 150], [1, 2, 100],
      [2, 0, 150], [2, 1, 150], [2, 2, 100],
      [3, 0, 150],
    ]);
  });
});

describe('toRecordBatch', () => {
  it('gives an Arrow record batch with the file schema and the batch columns', async () => {
    const b = await firstValueFrom(cifarBatches(TRAIN, { batchSize: 32, shuffle: true, augment: true, seed: 2 }));
    const rb = toRecordBatch(b);
    expect(rb.numRows).toBe(32);
    expect(rb.schema.fields.map((f) => f.name)).toEqual(['index', 'image', 'fine', 'coarse']);
    expect(rb.schema.metadata).toEqual(file.schema.metadata);
    const cols = recordBatchToColumns(rb);
    expect([...cols.indices]).toEqual([...b.indices]);
    expect([...cols.fine]).toEqual([...b.fine]);
    expect(Buffer.from(cols.images).equals(Buffer.from(b.images))).toBe(true);
    expect(Buffer.from(rb.getChild('image')!.get(5) as Uint8Array).equals(imageOf(b, 5))).toBe(true);
  });
});

describe('cifarBatches: start position, caps, an open file', () => {
  const key = (b: CifarBatch) => `${b.epoch}/${b.index}/${b.step}`;
  const same = (a: CifarBatch, b: CifarBatch) => {
    expect(key(a)).toBe(key(b));
    expect(Buffer.from(a.images).equals(Buffer.from(b.images))).toBe(true);
    expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
    expect(Array.from(a.fine)).toEqual(Array.from(b.fine));
  };

  it('starting at (epoch, index) delivers exactly the tail of the stream from there (order, augmentation, step)', async () => {
    const opts = { batchSize: 48, shuffle: true, augment: true, seed: 11, epochs: 3 };
    const full = await collect(opts);
    const per = epochLength(400, opts);
    expect(per).toBe(9);
    for (const start of [{ epoch: 0, index: 0 }, { epoch: 0, index: 5 }, { epoch: 1, index: 0 }, { epoch: 2, index: 8 }]) {
      const tail = await collect({ ...opts, start });
      const from = start.epoch * per + start.index;
      expect(tail.map(key)).toEqual(full.slice(from).map(key));
      tail.forEach((b, i) => same(b, full[from + i]));
    }
  });

  it('a start past the batches of an epoch is an error naming the file', async () => {
    await expect(collect({ batchSize: 100, start: { epoch: 0, index: 4 } })).rejects.toThrow(/start batch 4 is past the 4 batches of an epoch of .*train\.arrow/);
    expect(() => cifarBatches(TRAIN, { start: { epoch: -1, index: 0 } })).toThrow(/start must be whole numbers/);
  });

  it('maxBatchesPerEpoch caps every epoch, maxRows uses the first rows only', async () => {
    const capped = await collect({ batchSize: 64, epochs: 2, maxBatchesPerEpoch: 3 });
    expect(capped.map((b) => [b.epoch, b.index, b.step])).toEqual([[0, 0, 0], [0, 1, 1], [0, 2, 2], [1, 0, 3], [1, 1, 4], [1, 2, 5]]);
    const rows = await collect({ batchSize: 64, maxRows: 100 });
    expect(rows.map((b) => b.size)).toEqual([64, 36]);
    expect(rows.flatMap((b) => [...b.rows])).toEqual([...Array(100).keys()]);
    expect(epochLength(400, { batchSize: 64, maxRows: 100 })).toBe(2);
    expect(epochLength(400, { batchSize: 64, dropLast: true })).toBe(6);
    expect(() => epochLength(400, { maxRows: 0 })).toThrow(/maxRows must be a positive integer/);
  });

  it('an open file is read and left open', async () => {
    const closed: string[] = [];
    const got = await lastValueFrom(cifarBatches(file, { batchSize: 200, onClose: () => closed.push('x') }).pipe(toArray()));
    expect(got.map((b) => b.size)).toEqual([200, 200]);
    await until(() => closed.length > 0);
    await turns(5);
    expect(closed).toEqual(['x']);
    // still readable: the caller's file was not closed
    expect(file.readImagesSync(Uint32Array.of(0), new Uint8Array(IMAGE_BYTES))).toBeUndefined();
    expect((await collect({ batchSize: 400 }))[0].size).toBe(400);
  });
});
