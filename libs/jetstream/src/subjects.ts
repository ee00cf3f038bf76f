/** Subject and stream names: one JetStream stream per pipeline edge, one subject per stream. */
import { JetStreamError } from './errors.js';

/** Header names of an atkd batch message (the message id is NATS's own `Nats-Msg-Id`). */
export const HEADERS = {
  epoch: 'Atkd-Epoch',
  step: 'Atkd-Step',
  rows: 'Atkd-Rows',
  /** On a dead letter: why it was rejected. */
  error: 'Atkd-Error',
  /** On a dead letter: the stream and sequence it came from. */
  origin: 'Atkd-Origin',
} as const;

/** Stream names: letters, digits, `_` and `-` (JetStream forbids `.`, `*`, `>`, spaces). */
export function checkStreamName(name: string, flag = 'stream'): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) throw new JetStreamError(`${flag} "${name}": a JetStream stream name is letters, digits, _ and - only`);
  return name;
}

/** Durable consumer names follow the same rule. */
export function checkConsumerName(name: string, flag = 'consumer'): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) throw new JetStreamError(`${flag} "${name}": a consumer name is letters, digits, _ and - only`);
  return name;
}

/** The subject the batches of `stream` are published on. */
export function batchSubject(stream: string): string {
  return `atkd.batches.${checkStreamName(stream)}`;
}

/** The dead-letter subject of `stream` (kept in the stream `<stream>_DEAD`). */
export function deadLetterSubject(stream: string): string {
  return `atkd.dead.${checkStreamName(stream)}`;
}

export function deadLetterStream(stream: string): string {
  return `${checkStreamName(stream)}_DEAD`;
}

/** The message id of a batch: its epoch and step (a re-publish of the same batch is de-duplicated). */
export function batchMessageId(epoch: number, step: number): string {
  return `e${epoch}-s${step}`;
}

/** The NATS service subject of a stage (`atkd.teacher`, ...). */
export function serviceSubject(stage: string): string {
  return `atkd.${stage}`;
}
