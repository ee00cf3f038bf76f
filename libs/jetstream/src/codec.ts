/**
 * Record batches as JetStream messages: the payload is one Arrow IPC stream holding the schema and
 * one record batch (the `@atkd/columns` encoder), the headers carry its epoch, step and rows, and the
 * message id (`Nats-Msg-Id`) is `e<epoch>-s<step>` so that the server drops a re-publish.
 */
import { decodeIpcStream, encodeIpcStream } from '@atkd/columns';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { RecordBatch } from 'apache-arrow';
import { BatchMessageError, describeCause } from './errors.js';
import { HEADERS, batchMessageId } from './subjects.js';

/** A batch and its position in the source order. */
export interface Envelope {
  batch: RecordBatch;
  epoch: number;
  step: number;
}

export interface EncodedBatch {
  data: Uint8Array;
  headers: MsgHdrs;
  msgID: string;
}

export function encodeBatchMessage(e: Envelope): EncodedBatch {
  checkPosition(e.epoch, 'epoch');
  checkPosition(e.step, 'step');
  // Arrow JS reads a stream whose only batch is empty as a stream with no batch: not a message
  if (e.batch.numRows === 0) throw new RangeError(`the batch at step ${e.step} (epoch ${e.epoch}) has no rows; an empty batch is not published`);
  const h = natsHeaders();
  h.set(HEADERS.epoch, String(e.epoch));
  h.set(HEADERS.step, String(e.step));
  h.set(HEADERS.rows, String(e.batch.numRows));
  return { data: encodeIpcStream([e.batch]), headers: h, msgID: batchMessageId(e.epoch, e.step) };
}

function checkPosition(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`batch ${what} must be a whole number, got ${v}`);
}

function positionHeader(h: MsgHdrs | undefined, key: string, where: string): number {
  const raw = h?.get(key) ?? '';
  if (raw === '') throw new BatchMessageError(`${where}: header ${key} is missing; not an atkd batch message`);
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new BatchMessageError(`${where}: header ${key} is ${JSON.stringify(raw)}, expected a whole number`);
  return v;
}

/**
 * Decodes a message; `where` names it in errors (e.g. `stream TEACHER seq 17`). Throws a
 * {@link BatchMessageError} for bad headers, bytes that are not Arrow IPC, or not exactly one batch.
 */
export function decodeBatchMessage(data: Uint8Array, h: MsgHdrs | undefined, where: string): Envelope {
  const epoch = positionHeader(h, HEADERS.epoch, where);
  const step = positionHeader(h, HEADERS.step, where);
  let batches: RecordBatch[];
  try {
    batches = decodeIpcStream(data, where).batches;
  } catch (e) {
    throw new BatchMessageError(`${where} (epoch ${epoch}, step ${step}): the payload is not an Arrow IPC record batch (${describeCause(e)})`, { cause: e });
  }
  if (batches.length !== 1) throw new BatchMessageError(`${where} (epoch ${epoch}, step ${step}): holds ${batches.length} record batches, expected one`);
  const batch = batches[0];
  const rows = h?.get(HEADERS.rows);
  if (rows !== undefined && rows !== '' && Number(rows) !== batch.numRows) {
    throw new BatchMessageError(`${where} (epoch ${epoch}, step ${step}): header ${HEADERS.rows} says ${rows} rows, the batch has ${batch.numRows}`);
  }
  return { batch, epoch, step };
}
