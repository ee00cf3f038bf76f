/**
 * `cifarBatches`: a CIFAR-100 Arrow file as a cold RxJS Observable of batches, with a bounded,
 * consumer-driven read-ahead.
 *
 * Backpressure. RxJS delivers values by pushing, so the source itself bounds how far it reads: it keeps
 * a count of batches *in flight* — read (or being read) and not yet finished by the consumer — and starts
 * reading a batch only while that count is below `prefetch`. A batch is finished when
 * `subscriber.next(batch)` has returned *and* every `hold()` taken on it has been released. A synchronous
 * consumer needs nothing more: its `next` returning is the acknowledgement. An asynchronous consumer
 * takes a hold while the batch is delivered and releases it when its work is done; {@link concatMapBatch}
 * does exactly that around a `concatMap`. So at any moment at most `prefetch` batches have been read
 * ahead of what the consumer has finished, however slow it is, and memory stays at `prefetch` batches.
 */
import { Observable } from 'rxjs';
import { CifarArrowFile } from './arrow-io.js';
import { holdCounter, type Holdable } from './holds.js';
import { augmentBatch } from './augment.js';
import { strongAugmentBatch } from './strong-augment.js';
import { epochPermutation } from './rng.js';
import { IMAGE_BYTES, type CifarMeta } from './schema.js';
import type { Schema } from 'apache-arrow';

/** One batch of rows, as typed-array columns. */
export interface CifarBatch extends Holdable {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch. */
  index: number;
  /** 0-based batch counter over all epochs. */
  step: number;
  /** Rows in this batch (`batchSize`, or fewer for the last batch of an epoch unless `dropLast`). */
  size: number;
  /** `size * 3072` image bytes, each image CHW (R, G, B planes of 32 x 32) as stored, augmented if asked. */
  images: Uint8Array;
  /** MLKD's strong view of each image (same layout as `images`), when the source was asked for it (`strongView`). */
  imagesStrong?: Uint8Array;
  /** Fine label (0..99) of each row. */
  fine: Uint8Array;
  /** Coarse label (0..19) of each row. */
  coarse: Uint8Array;
  /** Source record index (the `index` column) of each row. */
  indices: Uint32Array;
  /** Row numbers in the Arrow file. */
  rows: Uint32Array;
  /** The file's decoded metadata (split, label names, source checksum). */
  meta: CifarMeta;
  /** The file's Arrow schema, for {@link toRecordBatch}. */
  schema: Schema;
  /**
   * Keeps the batch in flight until the returned release function is called (idempotent). Call it while
   * the batch is being delivered (synchronously in `next` or an operator before the async step).
   */
  hold(): () => void; // the Holdable contract (holds.ts)
}

/** A batch read, as seen by {@link CifarBatchOptions.onBatchRead}. */
export interface BatchReadEvent {
  epoch: number;
  index: number;
  step: number;
  /** Batches in flight including this one (never above `prefetch`). */
  inFlight: number;
}

export interface CifarBatchOptions {
  /** Rows per batch (default 128). */
  batchSize?: number;
  /** Shuffle the rows each epoch (default false: file order). */
  shuffle?: boolean;
  /** Seed of the shuffle and the augmentation (default 0). Same seed, same batches. */
  seed?: number;
  /** Passes over the file (default 1; `Infinity` for an endless stream). */
  epochs?: number;
  /** Random crop with 4-pixel zero padding and horizontal flip (default false). */
  augment?: boolean;
  /**
   * Also deliver MLKD's strong view of every image (`CifarBatch.imagesStrong`): `strongAugmentBatch` of
   * the stored images (its own crop and flip, RandAugment(2, 10), Cutout), seeded by (seed, epoch, batch
   * index) like the augmentation, so a resumed run sees the same strong views. Default false.
   */
  strongView?: boolean;
  /** Drop an epoch's last batch when it is short (default false). */
  dropLast?: boolean;
  /**
   * The first batch to deliver (default epoch 0, batch 0): the batches before it are skipped without
   * being read, and the ones from it on are exactly those an uninterrupted stream delivers (same order,
   * augmentation and `step`), so a run can resume at any step.
   */
  start?: BatchPosition;
  /** Cap on the batches of each epoch (default: every batch of the file). */
  maxBatchesPerEpoch?: number;
  /** Use only the first `maxRows` rows of the file (default: all; an evaluation limit). */
  maxRows?: number;
  /** Most batches read ahead of what the consumer has finished (default 2, at least 1). */
  prefetch?: number;
  /**
   * Read image bytes with synchronous positioned reads (default true: several times faster from the page
   * cache, blocking the event loop about a millisecond per 128 images); false reads through libuv's
   * thread pool.
   */
  syncReads?: boolean;
  /**
   * Read the whole file into memory when the subscription starts (default false). Batches are then
   * assembled by memory copies: several times the throughput of per-image reads, for the file's size in
   * memory (154 MB for the train set) per subscription. Read-ahead stays bounded by `prefetch` batches.
   */
  inMemory?: boolean;
  /** Called when the source starts reading a batch (instrumentation). */
  onBatchRead?: (e: BatchReadEvent) => void;
  /** Called once the file is closed (after completion, error or unsubscribe). */
  onClose?: () => void;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`cifarBatches: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** A batch's place in the stream: its epoch and its index within the epoch (both 0-based). */
export interface BatchPosition {
  epoch: number;
  index: number;
}

/** The options {@link epochLength} depends on. */
export type EpochLengthOptions = Pick<CifarBatchOptions, 'batchSize' | 'dropLast' | 'maxBatchesPerEpoch' | 'maxRows'>;

/** Batches in each epoch of `cifarBatches` over a file of `numRows` rows with these options. */
export function epochLength(numRows: number, options: EpochLengthOptions = {}): number {
  const batchSize = positiveInt('batchSize', options.batchSize ?? 128);
  const n = options.maxRows === undefined ? numRows : Math.min(numRows, positiveInt('maxRows', options.maxRows));
  const all = options.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  return options.maxBatchesPerEpoch === undefined ? all : Math.min(all, positiveInt('maxBatchesPerEpoch', options.maxBatchesPerEpoch));
}

interface Delivery {
  batch: CifarBatch;
  releaseDelivery: () => void;
}

interface Plan {
  epoch: number;
  index: number;
  step: number;
  rows: Uint32Array;
}

function* batchPlan(n: number, batchSize: number, perEpoch: number, epochs: number, shuffle: boolean, seed: number, start: BatchPosition): Generator<Plan> {
  if (perEpoch === 0) return;
  const identity = new Uint32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  let step = start.epoch * perEpoch + start.index;
  for (let epoch = start.epoch; epoch < epochs; epoch++) {
    const order = shuffle ? epochPermutation(n, seed, epoch) : identity;
    for (let index = epoch === start.epoch ? start.index : 0; index < perEpoch; index++) {
      yield { epoch, index, step: step++, rows: order.subarray(index * batchSize, Math.min(n, (index + 1) * batchSize)) };
    }
  }
}

/**
 * The batches of the CIFAR-100 Arrow file `file` (see the module comment for backpressure). Cold: each
 * subscription opens the file (a path), reads it on its own and closes it on completion, error or
 * unsubscribe (which also stops reading at once); a file given already open is read and left open (the
 * caller's). Batches of an epoch never span epochs.
 */
export function cifarBatches(file: string | CifarArrowFile, options: CifarBatchOptions = {}): Observable<CifarBatch> {
  const batchSize = positiveInt('batchSize', options.batchSize ?? 128);
  const prefetch = positiveInt('prefetch', options.prefetch ?? 2);
  const epochs = options.epochs ?? 1;
  if (!(epochs >= 0) || (Number.isFinite(epochs) && !Number.isInteger(epochs))) throw new RangeError(`cifarBatches: epochs must be a whole number or Infinity, got ${epochs}`);
  const seed = (options.seed ?? 0) >>> 0;
  const shuffle = options.shuffle ?? false;
  const augment = options.augment ?? false;
  const strongView = options.strongView ?? false;
  const syncReads = options.syncReads ?? true;
  const inMemory = options.inMemory ?? false;
  const start = options.start ?? { epoch: 0, index: 0 };
  if (!Number.isInteger(start.epoch) || start.epoch < 0 || !Number.isInteger(start.index) || start.index < 0) {
    throw new RangeError(`cifarBatches: start must be whole numbers { epoch, index }, got ${JSON.stringify(start)}`);
  }
  epochLength(0, options); // checks maxRows and maxBatchesPerEpoch

  return new Observable<CifarBatch>((subscriber) => {
    let stopped = false;
    let inFlight = 0;
    let wake: (() => void) | null = null;
    const signal = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    const scratch = new Uint8Array(2 * IMAGE_BYTES);
    const pending = new Set<Promise<unknown>>();

    /** Starts reading batch `p`; resolves to the batch and the release of its delivery hold. */
    const read = (f: CifarArrowFile, p: Plan): Promise<Delivery> => {
      inFlight += 1;
      options.onBatchRead?.({ epoch: p.epoch, index: p.index, step: p.step, inFlight });
      const size = p.rows.length;
      const images = new Uint8Array(size * IMAGE_BYTES);
      const loaded = syncReads ? Promise.resolve(f.readImagesSync(p.rows, images)) : f.readImages(p.rows, images);
      const job = loaded.then(() => {
        const fine = new Uint8Array(size);
        const coarse = new Uint8Array(size);
        const indices = new Uint32Array(size);
        for (let i = 0; i < size; i++) {
          const r = p.rows[i];
          fine[i] = f.fine[r];
          coarse[i] = f.coarse[r];
          indices[i] = f.indices[r];
        }
        // the strong view starts from the stored images, before the weak view's crop and flip
        const imagesStrong = strongView ? strongAugmentBatch(images, size, [seed, p.epoch, p.index]) : undefined;
        if (augment) augmentBatch(images, size, [seed, p.epoch, p.index], scratch);
        // the delivery hold (released when next() returns) and the consumer's holds
        const holds = holdCounter(() => {
          inFlight -= 1;
          signal();
        });
        const batch: CifarBatch = {
          epoch: p.epoch,
          index: p.index,
          step: p.step,
          size,
          images,
          ...(imagesStrong === undefined ? {} : { imagesStrong }),
          fine,
          coarse,
          indices,
          rows: p.rows.slice(),
          meta: f.meta,
          schema: f.schema,
          hold: holds.hold,
        };
        return { batch, releaseDelivery: holds.release };
      });
      pending.add(job);
      void job.finally(() => pending.delete(job)).catch(() => undefined);
      return job;
    };

    let arrow: CifarArrowFile | null = null;
    const run = async () => {
      const f = typeof file === 'string' ? (arrow = await CifarArrowFile.open(file)) : file;
      if (inMemory && !stopped) await f.loadIntoMemory();
      if (stopped) return;
      const perEpoch = epochLength(f.numRows, options);
      if (start.index >= perEpoch && perEpoch > 0) throw new RangeError(`cifarBatches: start batch ${start.index} is past the ${perEpoch} batches of an epoch of ${typeof file === 'string' ? file : 'the file'}`);
      const rows = options.maxRows === undefined ? f.numRows : Math.min(f.numRows, options.maxRows);
      const plan = batchPlan(rows, batchSize, perEpoch, epochs, shuffle, seed, start);
      const queue: Promise<Delivery>[] = [];
      let more = true;
      for (;;) {
        while (!stopped && more && inFlight < prefetch) {
          const next = plan.next();
          if (next.done) more = false;
          else {
            const q = read(f, next.value);
            q.catch(() => undefined); // surfaced when awaited below
            queue.push(q);
          }
        }
        if (stopped) return;
        if (queue.length === 0) {
          if (!more) break;
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const { batch, releaseDelivery } = await queue.shift()!;
        if (stopped) return;
        subscriber.next(batch);
        releaseDelivery();
        // yield to timers and I/O between batches: with synchronous reads and a synchronous consumer the
        // loop would otherwise run on microtasks alone and starve the event loop (e.g. epochs: Infinity)
        await new Promise<void>((r) => setImmediate(r));
      }
      subscriber.complete();
    };
    const close = async () => {
      await Promise.allSettled([...pending]);
      const f = arrow as CifarArrowFile | null;
      if (f) await f.close();
      options.onClose?.();
    };
    run()
      .catch((err: unknown) => {
        if (!stopped) subscriber.error(err);
      })
      .finally(() => {
        stopped = true;
        void close();
      });
    return () => {
      stopped = true;
      signal();
    };
  });
}
