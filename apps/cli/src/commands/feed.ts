/**
 * `atkd feed`: publishes the training batches of a data file to a JetStream stream, the same batches
 * in the same order as the in-process source of `atkd distill` with the same --batch-size, --seed,
 * --augment and --steps-per-epoch (one message per batch, id e<epoch>-s<step>: feeding twice adds
 * nothing). The stream feeds `atkd serve teacher` (or a student directly, when it carries logits).
 */
import { basename } from 'node:path';
import { withSchemaMetadata } from '@atkd/columns';
import { cifarBatches, concatMapBatch, epochLength, toRecordBatch, type CifarBatchOptions } from '@atkd/data';
import { aheadThrottle, ensureBatchStream, jetstream, jetstreamManager, publishBatch } from '@atkd/jetstream';
import { formatFlags, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { lastValueFrom, takeWhile } from 'rxjs';
import { openDataFile } from '../lib/batches.js';
import { embeddedDefaults } from '../lib/defaults.js';
import { AHEAD_FLAGS, FEED_META, NATS_FLAGS, aheadOption, connectNats, natsOptions, redactUrl, roomWaitLogger } from '../lib/nats.js';

const FEED_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...NATS_FLAGS,
  to: { description: 'stream to publish to (created if missing: file storage, kept)', placeholder: 'STREAM' },
  data: { description: 'training data (.arrow of `atkd data import`; default: the embedded sample)', placeholder: 'FILE' },
  epochs: { description: 'epochs to publish', placeholder: 'N' },
  'first-epoch': { description: 'start at this epoch (0-based; default 0)', placeholder: 'E' },
  'batch-size': { description: 'rows per batch (default 64, as atkd distill)', placeholder: 'N' },
  seed: { description: 'seed of the shuffle and augmentation (default 0)', placeholder: 'N' },
  augment: { description: 'random crop + flip, true/false (default true, as atkd distill)', placeholder: 'BOOL' },
  'steps-per-epoch': { description: 'cap on the batches of an epoch', placeholder: 'N' },
  ...AHEAD_FLAGS,
  quiet: { short: 'q', value: false, description: 'no progress lines on stderr' },
  help: { short: 'h', value: false, description: 'show this help' },
};

function parseBoolFlag(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new UsageError(`atkd feed: flag --${name} must be true or false, got ${JSON.stringify(raw)}`);
}

export const feedCommand: Command = {
  name: 'feed',
  summary: 'publish the training batches of a data file to a NATS JetStream stream (for atkd serve / distill --source)',
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const context = 'atkd feed';
    const args = parseArgs(argv, FEED_FLAGS, context);
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: atkd feed --nats URL --to STREAM --epochs N [--data FILE] [--batch-size N] [--seed S] [--augment BOOL]\n\n${formatFlags(FEED_FLAGS)}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`${context}: unexpected argument "${args.positionals[0]}"`);
    const to = stringFlag(args, 'to');
    if (to === undefined) throw new UsageError(`${context}: flag --to STREAM is required`);
    const epochs = intFlag(args, 'epochs', context, 1, 100_000);
    if (epochs === undefined) throw new UsageError(`${context}: flag --epochs N is required`);
    const firstEpoch = intFlag(args, 'first-epoch', context, 0, epochs - 1) ?? 0;
    const stepsPerEpoch = intFlag(args, 'steps-per-epoch', context, 1);
    const plan = {
      batchSize: intFlag(args, 'batch-size', context, 1, 8192) ?? 64,
      shuffle: true,
      augment: parseBoolFlag(stringFlag(args, 'augment'), 'augment', true),
      seed: intFlag(args, 'seed', context, 0, 4294967295) ?? 0,
      ...(stepsPerEpoch === undefined ? {} : { maxBatchesPerEpoch: stepsPerEpoch }),
    } satisfies CifarBatchOptions;
    const ahead = aheadOption(args, context);
    const dataPath = stringFlag(args, 'data') ?? embeddedDefaults().train;
    const opts = natsOptions(args, context, 'atkd-feed');
    const quiet = args.flags.has('quiet');
    const log = (line: string) => void io.stderr.write(`${line}\n`);

    const file = await openDataFile(dataPath, 'training data');
    let interrupted = false;
    const stop = new AbortController();
    const onSignal = () => {
      interrupted = true;
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const nc = await connectNats(opts).catch(async (e: unknown) => {
      await file.close();
      throw e;
    });
    try {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      await ensureBatchStream(jsm, to);
      const perEpoch = epochLength(file.numRows, plan);
      if (perEpoch === 0) throw new UsageError(`${context}: training data ${dataPath} has no rows`);
      const meta = {
        [FEED_META.batchesPerEpoch]: String(perEpoch),
        [FEED_META.epochs]: String(epochs),
        [FEED_META.batchSize]: String(plan.batchSize),
        [FEED_META.seed]: String(plan.seed),
        [FEED_META.augment]: String(plan.augment),
        [FEED_META.data]: basename(dataPath),
      };
      log(`${context}: ${epochs - firstEpoch} epochs x ${perEpoch} batches of ${plan.batchSize} from ${dataPath} to stream ${to} on ${redactUrl(opts.url)}`);
      let published = 0;
      let duplicates = 0;
      let last = performance.now();
      const room = ahead === undefined ? undefined : aheadThrottle(to, { ...ahead, jsm });
      const onRoomWait = roomWaitLogger(context, log, quiet);
      // the batches of the in-process source (same order and augmentation), each held while it is published
      const batches = cifarBatches(file, { ...plan, epochs, start: { epoch: firstEpoch, index: 0 } }).pipe(
        takeWhile(() => !interrupted),
        concatMapBatch(async (b) => {
          const { epoch, index, step } = b;
          // bounded pending count: wait while the downstream consumer has ahead.maxPending messages to go
          if (room !== undefined && !(await room.waitForRoom({ signal: stop.signal, onWait: onRoomWait }))) return;
          if (interrupted) return;
          // the position travels in the message headers (and its id)
          const batch = withSchemaMetadata(toRecordBatch(b), meta);
          const { ack } = await publishBatch(nc, js, to, { batch, epoch, step }, { log });
          room?.published();
          published++;
          if (ack.duplicate) duplicates++;
          const now = performance.now();
          if (!quiet && now - last > 5000) {
            last = now;
            log(`${context}: epoch ${epoch + 1}/${epochs}, batch ${index + 1}/${perEpoch}: ${published} published (${duplicates} already there)`);
          }
        }),
      );
      await lastValueFrom(batches, { defaultValue: undefined });
      log(`${context}: ${interrupted ? 'interrupted: ' : ''}${published} batches published to ${to} (${duplicates} were already there)`);
      return interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await nc.drain().catch(() => nc.close());
      await file.close();
    }
  },
};
