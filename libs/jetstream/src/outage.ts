/**
 * How long a client keeps retrying while the NATS server is away (a restart, a network cut) before
 * it fails with a message naming the stream: the source's pulls, the sink's publishes and the
 * throttle's checks. `ATKD_NATS_OUTAGE_S` seconds, default 120; an option of each call wins.
 */
import { JetStreamError } from './errors.js';

export const DEFAULT_OUTAGE_TIMEOUT_MS = 120_000;

/** The outage timeout in milliseconds from `ATKD_NATS_OUTAGE_S` (default 120 s); a bad value is an error naming the variable. */
export function outageTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const v = env['ATKD_NATS_OUTAGE_S'];
  if (v === undefined || v.trim() === '') return DEFAULT_OUTAGE_TIMEOUT_MS;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0) throw new JetStreamError(`ATKD_NATS_OUTAGE_S must be a positive number of seconds, got ${JSON.stringify(v)}`);
  return s * 1000;
}
