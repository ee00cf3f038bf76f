/** The NATS flags shared by `atkd serve`, `atkd feed` and `atkd distill --source nats://...`. */
import { connectNats, redactUrl, type NatsOptions, type RoomWait } from '@atkd/jetstream';
import type { NatsConnection } from '@atkd/jetstream';
import { intFlag, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from '../args.js';

export const NATS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  nats: { description: 'NATS server URL, nats://[user:pass@|token@]host:port (tls:// for TLS)', placeholder: 'URL' },
  'nats-creds': { description: 'NATS credentials file (JWT + nkey seed)', placeholder: 'FILE' },
  'tls-ca': { description: 'CA certificate (PEM) to verify the server (turns TLS on)', placeholder: 'FILE' },
};

/** The connection options from the flags (`--nats` required unless `url` is given). */
export function natsOptions(args: ParsedArgs, context: string, name: string, url?: string): NatsOptions {
  const u = url ?? stringFlag(args, 'nats');
  if (u === undefined) throw new UsageError(`${context}: flag --nats URL is required (e.g. --nats nats://127.0.0.1:4222)`);
  return { url: u, credsFile: stringFlag(args, 'nats-creds'), tlsCaFile: stringFlag(args, 'tls-ca'), name };
}

/** `--max-ahead N --ahead-of CONSUMER` of `atkd feed` and `atkd serve`: a bounded pending count on --to. */
export const AHEAD_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'max-ahead': { description: 'stay at most N batches ahead of consumer --ahead-of of --to (bounded pending count)', placeholder: 'N' },
  'ahead-of': { description: 'the downstream consumer --max-ahead refers to', placeholder: 'NAME' },
};

/** The throttle of AHEAD_FLAGS (both flags or neither), or undefined when they are not given. */
export function aheadOption(args: ParsedArgs, context: string): { consumer: string; maxPending: number } | undefined {
  const maxPending = intFlag(args, 'max-ahead', context, 1);
  const consumer = stringFlag(args, 'ahead-of');
  if ((maxPending === undefined) !== (consumer === undefined)) throw new UsageError(`${context}: --max-ahead N and --ahead-of CONSUMER go together`);
  return maxPending === undefined || consumer === undefined ? undefined : { consumer, maxPending };
}

/** The `onWait` of --max-ahead: a line on the log at most every `everyMs` while held back (none when quiet). */
export function roomWaitLogger(context: string, log: (line: string) => void, quiet: boolean, everyMs = 5000): (w: RoomWait) => void {
  let last = -Infinity;
  return (w) => {
    const now = performance.now();
    if (quiet || now - last < everyMs) return;
    last = now;
    log(`${context}: waiting: consumer ${w.consumer} of ${w.stream} has ${w.pending ?? '?'} batches pending (at most ${w.maxPending} ahead${w.error === undefined ? '' : `; ${w.error}`})`);
  };
}

export { connectNats, redactUrl };
export type { NatsConnection };

/**
 * Waits for SIGINT/SIGTERM (or `done` settling); returns the signal, if any. The listeners are
 * removed afterwards.
 */
export function untilSignal(done: Promise<unknown>): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const on = (s: NodeJS.Signals) => {
      cleanup();
      resolve(s);
    };
    const cleanup = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    done.then(
      () => {
        cleanup();
        resolve(null);
      },
      (e: unknown) => {
        cleanup();
        reject(e);
      },
    );
  });
}

/**
 * Schema metadata `atkd feed` writes on every batch: the plan that made the stream, so that a student
 * reading it knows its epochs and can check them against its own config.
 */
export const FEED_META = {
  batchesPerEpoch: 'atkd.feed.batches_per_epoch',
  epochs: 'atkd.feed.epochs',
  batchSize: 'atkd.feed.batch_size',
  seed: 'atkd.feed.seed',
  augment: 'atkd.feed.augment',
  data: 'atkd.feed.data',
} as const;

/** The `nats://HOST:PORT/STREAM` of `atkd distill --source`: the server URL and the stream. */
export function parseSourceUrl(source: string, flag = '--source'): { url: string; stream: string } {
  const m = /^((?:nats|tls):\/\/[^/]+)\/([^/?#]+)\/?$/.exec(source);
  if (m === null) throw new UsageError(`${flag} ${redactUrl(source)}: expected nats://HOST:PORT/STREAM`);
  return { url: m[1], stream: m[2] };
}
