/**
 * Dead letters: a message that cannot be decoded (or that a stage rejects) is copied, with its
 * headers and an `Atkd-Error` header, to `atkd.dead.<stream>` (kept in the stream `<stream>_DEAD`),
 * logged with its stream and sequence, and terminated, so that it is never redelivered (no crash loop).
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { describeCause } from './errors.js';
import { HEADERS, deadLetterSubject } from './subjects.js';

/** Publishes `msg` to the dead letters of `stream`, logs a line naming it, and terminates it. */
export async function deadLetter(js: JetStreamClient, stream: string, msg: JsMsg, reason: unknown, log: (line: string) => void): Promise<void> {
  const why = describeCause(reason).replace(/[\r\n]+/g, ' ');
  const subject = deadLetterSubject(stream);
  const h = natsHeaders();
  for (const [k, v] of msg.headers ?? []) for (const x of v) h.append(k, x);
  h.set(HEADERS.error, why.slice(0, 1000));
  h.set(HEADERS.origin, `${stream}#${msg.seq}`);
  try {
    // its own id, so that a second delivery of the same bad message is stored once
    await js.publish(subject, msg.data, { headers: h, msgID: `dead-${stream}-${msg.seq}` });
    log(`atkd: dead letter: stream ${stream} seq ${msg.seq} (subject ${msg.subject}) moved to ${subject}: ${why}`);
  } catch (e) {
    log(`atkd: dead letter: stream ${stream} seq ${msg.seq} (subject ${msg.subject}) rejected (${why}); could not publish it to ${subject} (${describeCause(e)}), terminated anyway`);
  }
  // (no reason argument: servers before 2.11 do not accept one)
  msg.term();
}
